"""An award as certificates see it: who receives what, taken from an approved prize list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwardRecord:
    """One line of an approved prize list (or a participation record), ready for a certificate.

    Produced by the results service (`contest.services.results.approved_awards`) and consumed
    by the certificate service; neither needs the other's tables.
    """

    award_key: str  # stable and unique: e.g. "prize:<prize list entry id>" or "participation:<round>:<participant>"
    contest_id: int
    round_id: int | None  # None for a whole-contest award
    kind: str  # "prize" | "participation"
    recipient_kind: str  # "individual" | "collective" | "group" | "group_member"
    participant_id: int | None
    unit_id: int | None
    recipient_name: str  # full name, or the collective's / group's name
    recipient_unit: str  # unit name shown under the name ("" for a collective)
    tier_code: str  # "first" | "second" | "third" | "consolation" | "participation" | …
    tier_label_vi: str  # "Giải Ba"
    achievement_vi: str  # "Đã đạt Giải Ba Cuộc thi … năm 2023 — Tuần 2"
    prize_list_version: int | None = None
