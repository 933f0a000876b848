"""The admins' outbox: every message owed to people, each try to send it, a failed one sent again."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.domain.messages import KINDS
from contest.domain.permissions import ADMINS, roles_for
from contest.models.notices import NOTICE_STATES
from contest.services import messages
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, require_staff
from contest.web.templating import render

router = APIRouter(prefix="/admin/outbox")


@router.get("")
def outbox_page(
    request: Request,
    status: str = "",
    kind: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*roles_for("read_outbox"))),
):
    status = status if status in NOTICE_STATES else ""
    kind = kind if kind in KINDS else ""
    return render(
        request,
        "admin/outbox.html",
        {
            "rows": messages.outbox(db, status=status, kind=kind, limit=200),
            "counts": messages.status_counts(db),
            "configured": messages.configured_channels(),
            "status": status,
            "kind": kind,
            "kinds": KINDS,
        },
    )


@router.post("/{notice_id}/retry")
def outbox_retry(
    request: Request,
    notice_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    notice = messages.retry(db, actor_for(request, principal), notice_id)
    messages.dispatch([notice])
    return RedirectResponse("/admin/outbox?status=pending", status_code=303)
