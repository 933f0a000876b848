"""Claims on a squatted CCCD: someone registered another person's citizen ID, and its real owner
asks the committee for it back with evidence. Decisions are never deleted: the latest one
counts, so a later decision reverses an earlier one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from contest.domain.errors import ContestError, InvalidInput

UPHELD = "upheld"  # the claimant is the owner: the registered account loses the CCCD
REJECTED = "rejected"
DECISIONS = (UPHELD, REJECTED)
MAX_EVIDENCE = 4000
# A taken-away CCCD is replaced by this prefix and the account's id: 12 characters, like a
# CCCD, so the column and its unique constraint stay as they are, and never a valid CCCD
# (those are digits only), so screening sees an incomplete profile.
REVOKED_PREFIX = "R"


def revoked_citizen_id(participant_id: int) -> str:
    return f"{REVOKED_PREFIX}{participant_id:011d}"


def is_revoked(citizen_id: str) -> bool:
    return citizen_id.startswith(REVOKED_PREFIX)


@dataclass(frozen=True)
class ClaimInput:
    citizen_id: str
    full_name: str
    phone: str
    email: str
    evidence: str


def check_decision(decision: str, reason: str) -> tuple[str, str]:
    reason = " ".join(unicodedata.normalize("NFC", reason or "").split())
    errors = []
    if decision not in DECISIONS:
        errors.append(
            ContestError(
                "Hãy chọn chấp nhận hoặc bác yêu cầu.",
                "Choose whether to uphold or reject the claim.",
                field="decision",
            )
        )
    if len(reason) < 5:
        errors.append(
            ContestError(
                "Hãy ghi lý do quyết định (ít nhất 5 ký tự).",
                "Write the reason for the decision (at least 5 characters).",
                field="reason",
            )
        )
    if errors:
        raise InvalidInput(errors)
    return decision, reason[:2000]
