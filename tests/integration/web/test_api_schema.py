"""Schemathesis against /api/v1/openapi.json: generated requests to every operation, on the
demo dataset, must never answer 500 nor disagree with the document (status code, content
type, headers, body schema). Bounded: a few dozen examples per operation, well under a minute.

Driven through schemathesis's Python API (operation strategies under Hypothesis) rather than
its pytest loader, whose lazy fixture mode does not run under pytest 9."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from contest.config import get_settings
from contest.services import results_cache
from contest.services.demo import load_demo

EXAMPLES_PER_OPERATION = 25
BUDGET_SECONDS = 60


@pytest.fixture
def demo_app(app, db, monkeypatch):
    # The limits are tested elsewhere; here hundreds of requests come from one address.
    from contest.web.routers import certificates as certificate_pages

    monkeypatch.setattr(get_settings(), "api_limit_per_address", "100000/minute")
    monkeypatch.setattr(certificate_pages, "VERIFY_LIMIT", "100000/minute")
    results_cache.clear()
    load_demo(db, get_settings().demo_dir)
    return app


def test_the_api_keeps_to_its_openapi_document(demo_app):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", demo_app)
    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case) -> None:
            case.call_and_validate()

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        assert time.monotonic() - started < BUDGET_SECONDS * 2, "schemathesis run over budget"
    assert operations >= 8
    assert not failures, "\n\n".join(failures)
