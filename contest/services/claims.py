"""Claims on a squatted CCCD: filed by anyone (the real owner), decided by the committee with a
reason; upheld, the account holding the CCCD loses it so its owner can register."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.citizen_id import normalise as normalise_citizen_id
from contest.domain.citizen_id_claims import (
    MAX_EVIDENCE,
    REJECTED,
    UPHELD,
    ClaimInput,
    check_decision,
    is_revoked,
    revoked_citizen_id,
)
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.registration import normalise_phone
from contest.models import CitizenIdClaim, CitizenIdClaimDecision, Contest, Participant
from contest.services import audit, ratelimit, sessions
from contest.services.context import Actor

_PHONE = re.compile(r"0(3|5|7|8|9)\d{8}")


def file_claim(db: Session, contest: Contest, data: ClaimInput, *, ip: str) -> CitizenIdClaim:
    """Record a claim. The answer is the same whether or not the CCCD is registered."""
    ratelimit.hit_address(ip, "claim", "10/hour")
    citizen_id = normalise_citizen_id(data.citizen_id)
    full_name = " ".join(unicodedata.normalize("NFC", data.full_name or "").split())
    phone = normalise_phone(data.phone)
    evidence = unicodedata.normalize("NFC", (data.evidence or "").strip())
    errors = []
    if not re.fullmatch(r"\d{12}", citizen_id):
        errors.append(
            ContestError(
                "Số CCCD phải gồm đúng 12 chữ số.",
                "The citizen ID (CCCD) must be exactly 12 digits.",
                field="citizen_id",
            )
        )
    if len(full_name) < 2 or len(full_name) > 200:
        errors.append(
            ContestError(
                "Vui lòng nhập họ và tên.", "Please enter your full name.", field="full_name"
            )
        )
    if not _PHONE.fullmatch(phone):
        errors.append(
            ContestError(
                "Số điện thoại di động phải gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.",
                "The mobile number must be 10 digits starting with 03, 05, 07, 08 or 09.",
                field="phone",
            )
        )
    if len(evidence) < 20 or len(evidence) > MAX_EVIDENCE:
        errors.append(
            ContestError(
                f"Hãy mô tả bằng chứng (20–{MAX_EVIDENCE} ký tự): ví dụ nơi bạn có thể xuất trình CCCD.",
                f"Describe your evidence (20–{MAX_EVIDENCE} characters): e.g. where you can show your CCCD.",
                field="evidence",
            )
        )
    if errors:
        raise InvalidInput(errors)
    holder = db.execute(
        select(Participant.id).where(
            Participant.contest_id == contest.id, Participant.citizen_id == citizen_id
        )
    ).scalar_one_or_none()
    claim = CitizenIdClaim(
        contest_id=contest.id,
        citizen_id=citizen_id,
        full_name=full_name,
        phone=phone,
        email=(data.email or "").strip()[:200] or None,
        evidence=evidence,
        holder_participant_id=holder,
        status="open",
        filed_at=clock.now(),
        ip=ip[:64],
    )
    db.add(claim)
    db.flush()
    audit.record(
        db,
        Actor("anonymous", ip=ip),
        "claim.file",
        "citizen_id_claim",
        claim.id,
        {"contest": contest.slug},
    )
    db.commit()
    return claim


def claims_of(db: Session, contest: Contest) -> list[CitizenIdClaim]:
    return list(
        db.execute(
            select(CitizenIdClaim)
            .where(CitizenIdClaim.contest_id == contest.id)
            .order_by(CitizenIdClaim.status != "open", CitizenIdClaim.filed_at.desc())
        ).scalars()
    )


def get_claim(db: Session, contest: Contest, claim_id: int) -> CitizenIdClaim:
    claim = db.get(CitizenIdClaim, claim_id)
    if claim is None or claim.contest_id != contest.id:
        raise NotFound("Không tìm thấy yêu cầu.", "Claim not found.")
    return claim


def decisions_of(db: Session, claim: CitizenIdClaim) -> list[CitizenIdClaimDecision]:
    return list(
        db.execute(
            select(CitizenIdClaimDecision)
            .where(CitizenIdClaimDecision.claim_id == claim.id)
            .order_by(CitizenIdClaimDecision.id)
        ).scalars()
    )


def holder_of(db: Session, claim: CitizenIdClaim) -> Participant | None:
    return db.get(Participant, claim.holder_participant_id) if claim.holder_participant_id else None


@transactional
def decide(
    db: Session, actor: Actor, contest: Contest, claim_id: int, decision: str, reason: str
) -> CitizenIdClaimDecision:
    """Record a decision and apply it. Upheld: the holding account's CCCD is replaced by a
    revoked marker and its sessions end; a later rejection gives it back if nobody has
    registered with that CCCD since."""
    decision, reason = check_decision(decision, reason)
    claim = get_claim(db, contest, claim_id)
    holder = holder_of(db, claim)
    effect = "none"
    if decision == UPHELD and holder is not None and holder.citizen_id == claim.citizen_id:
        holder.citizen_id = revoked_citizen_id(holder.id)
        sessions.end_sessions_of(db, participant_id=holder.id)
        effect = "citizen_id_removed"
    elif decision == REJECTED and holder is not None and is_revoked(holder.citizen_id):
        taken = db.execute(
            select(Participant.id).where(
                Participant.contest_id == contest.id, Participant.citizen_id == claim.citizen_id
            )
        ).first()
        if taken is not None:
            raise ContestError(
                "Không thể trả lại số CCCD: người khác đã đăng ký bằng số này sau quyết định trước.",
                "The CCCD cannot be given back: someone registered with it after the earlier decision.",
                field="decision",
            )
        holder.citizen_id = claim.citizen_id
        effect = "citizen_id_restored"
    row = CitizenIdClaimDecision(
        claim_id=claim.id,
        decision=decision,
        reason=reason,
        decided_by=actor.audit_name[:120],
        decided_at=clock.now(),
    )
    db.add(row)
    claim.status = decision
    db.flush()
    audit.record(
        db,
        actor,
        "claim.decide",
        "citizen_id_claim",
        claim.id,
        {
            "decision": decision,
            "reason": reason,
            "effect": effect,
            "holder": claim.holder_participant_id,
        },
    )
    return row


@transactional
def uphold_for_verified_identity(
    db: Session,
    actor: Actor,
    contest: Contest,
    holder: Participant,
    *,
    full_name: str,
    phone: str,
    email: str | None,
    evidence: str,
) -> CitizenIdClaim:
    """The CCCD's owner proved it through the contest's identity provider while another
    person's account holds it: a claim is filed in their name and upheld at once (the
    verified identity wins). It is listed with the committee's claims, decided as any
    upheld claim is (the holder loses the CCCD, its sessions end); a later committee
    decision is recorded as usual."""
    claim = CitizenIdClaim(
        contest_id=contest.id,
        citizen_id=holder.citizen_id,
        full_name=full_name,
        phone=phone,
        email=email,
        evidence=evidence[:MAX_EVIDENCE],
        holder_participant_id=holder.id,
        status="open",
        filed_at=clock.now(),
        ip=actor.ip[:64],
    )
    db.add(claim)
    db.flush()
    audit.record(
        db,
        actor,
        "claim.file",
        "citizen_id_claim",
        claim.id,
        {"contest": contest.slug, "verified": True},
    )
    decide(
        db,
        actor,
        contest,
        claim.id,
        UPHELD,
        "Chủ số CCCD đã xác thực qua nhà cung cấp định danh / "
        "the CCCD's owner was verified by the identity provider",
    )
    return claim
