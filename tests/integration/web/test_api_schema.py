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
from sqlalchemy import select

from contest.config import get_settings
from contest.models import Certificate
from contest.services import api_tokens, results_cache
from contest.services.context import SYSTEM
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


@pytest.fixture
def staff_secret(demo_app, db):
    created = api_tokens.create(
        db,
        SYSTEM,
        name="Schemathesis",
        contest_slugs=["lang-son-2023"],
        scopes=list(api_tokens.SCOPES),
        days=1,
    )
    return created.secret


def _exercise(operation, headers: dict[str, str]):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def exercise(case) -> None:
        case.call_and_validate(headers=headers)

    return exercise


def test_the_api_keeps_to_its_openapi_document(demo_app, staff_secret, db):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", demo_app)
    demo_code = db.execute(select(Certificate.code).limit(1)).scalar_one()
    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # The staff operations run with a valid token, so their answers with data are checked
        # too (schemathesis also sends requests without it, expecting 401).
        headers = (
            {"Authorization": f"Bearer {staff_secret}"}
            if operation.path.startswith("/api/v1/staff/")
            else {}
        )

        exercise = _exercise(operation, headers)
        # Random slugs and codes name nothing: the demo's own make every answer with data
        # (winners, figures, a certificate, a ranking) go through the same checks.
        known = {"slug": "lang-son-2023", "number": 1, "code": demo_code}
        names = {p.name for p in operation.path_parameters}
        try:
            case = operation.Case(path_parameters={n: known[n] for n in names})
            response = case.call(headers=headers)
            case.validate_response(response)
            assert response.status_code == 200, response.status_code
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{operation.method.upper()} {operation.path} (demo data): {exc}")
        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        assert time.monotonic() - started < BUDGET_SECONDS * 2, "schemathesis run over budget"
    assert operations >= 8
    assert not failures, "\n\n".join(failures)
