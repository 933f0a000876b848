"""Operators' endpoints: /healthz (the process answers), /readyz (its database and Redis
answer), /metrics (Prometheus, for allowed addresses or a bearer token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session

from contest import metrics, queue
from contest.services import operations
from contest.web.deps import client_ip, get_db

router = APIRouter(include_in_schema=False)


# No database and no thread hop: the ceiling the bench compares saves with.
@router.get("/healthz")
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


@router.get("/readyz")
def readyz(db: Session = Depends(get_db)) -> JSONResponse:
    checks = operations.readiness(db)
    ready = all(c.ok for c in checks)
    return JSONResponse(
        {
            "ready": ready,
            "checks": {
                c.name: {
                    "ok": c.ok,
                    "ms": round(c.ms, 2),
                    **({"error": c.detail} if c.detail else {}),
                }
                for c in checks
            },
        },
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/metrics")
def metrics_page(request: Request, db: Session = Depends(get_db)) -> Response:
    if not operations.may_read_metrics(
        client_ip(request), request.headers.get("authorization", "")
    ):
        metrics.refused("forbidden")
        return PlainTextResponse(
            "Không được phép đọc số liệu vận hành. / Not allowed to read the metrics.\n",
            status_code=403,
        )
    body, content_type = metrics.exposition(
        lambda: operations.scrape_figures(db, queue.huey.pending_count)
    )
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
