"""Claims on a squatted CCCD: the public form, and the committee's list and decisions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.domain.citizen_id_claims import ClaimInput
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.permissions import COMMITTEE
from contest.services import claims, contests
from contest.services.ratelimit import RateLimited
from contest.services.sessions import Principal
from contest.web.deps import actor_for, client_ip, get_db, get_principal, require_staff
from contest.web.templating import render

router = APIRouter()


@router.get("/c/{slug}/claim")
def claim_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = contests.get_by_slug(db, slug)
    return render(request, "claim.html", {"contest": contest, "form": {}, "errors": {}})


@router.post("/c/{slug}/claim")
def claim_file(
    request: Request,
    slug: str,
    citizen_id: str = Form(""),
    full_name: str = Form(""),
    phone: str = Form(""),
    email: str = Form(""),
    evidence: str = Form(""),
    db: Session = Depends(get_db),
):
    contest = contests.get_by_slug(db, slug)
    data = ClaimInput(citizen_id, full_name, phone, email, evidence)
    try:
        claim = claims.file_claim(db, contest, data, ip=client_ip(request))
    except ContestError as exc:
        errors = exc.by_field() if isinstance(exc, InvalidInput) else {"": exc}
        return render(
            request,
            "claim.html",
            {"contest": contest, "form": data.__dict__, "errors": errors},
            status_code=429 if isinstance(exc, RateLimited) else 422,
        )
    return render(request, "claim_filed.html", {"contest": contest, "number": claim.id})


@router.get("/committee/{slug}/claims")
def claim_list(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    contest = contests.get_by_slug(db, slug)
    return render(
        request,
        "committee/claims.html",
        {"contest": contest, "claims": claims.claims_of(db, contest)},
    )


def _claim_context(db: Session, contest, claim_id: int, error=None) -> dict:
    claim = claims.get_claim(db, contest, claim_id)
    return {
        "contest": contest,
        "claim": claim,
        "holder": claims.holder_of(db, claim),
        "decisions": claims.decisions_of(db, claim),
        "error": error,
    }


@router.get("/committee/{slug}/claims/{claim_id}")
def claim_detail(
    request: Request,
    slug: str,
    claim_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    contest = contests.get_by_slug(db, slug)
    return render(request, "committee/claim.html", _claim_context(db, contest, claim_id))


@router.post("/committee/{slug}/claims/{claim_id}/decide")
def claim_decide(
    request: Request,
    slug: str,
    claim_id: int,
    decision: str = Form(""),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    contest = contests.get_by_slug(db, slug)
    try:
        claims.decide(db, actor_for(request, principal), contest, claim_id, decision, reason)
    except ContestError as exc:
        return render(
            request,
            "committee/claim.html",
            _claim_context(db, contest, claim_id, exc),
            status_code=422,
        )
    return RedirectResponse(f"/committee/{slug}/claims/{claim_id}", status_code=303)
