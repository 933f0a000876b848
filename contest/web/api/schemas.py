"""The API's response shapes (pydantic), with the descriptions and examples of the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApiErrorOut(Out):
    """Every refusal: the HTTP status again, a stable code, and the reason in both languages."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": 404,
                    "code": "not_found",
                    "message_vi": "Không có cuộc thi 'abc'.",
                    "message_en": "There is no contest 'abc'.",
                }
            ]
        },
    )

    status: int = Field(description="HTTP status code.", examples=[404])
    code: str = Field(
        description="Stable machine-readable reason: bad_request, unauthorized, forbidden, "
        "not_found, invalid_request, rate_limited, token_expired, token_revoked, …",
        examples=["not_found"],
    )
    message_vi: str = Field(description="Lý do, tiếng Việt.", examples=["Không tìm thấy."])
    message_en: str = Field(description="The reason, in English.", examples=["Not found."])
    fields: list[str] | None = Field(
        default=None, description="For 422: the request fields that were not valid."
    )


class LicenceOut(Out):
    name: str = Field(description="Licence of the open data.", examples=["CC BY 4.0"])
    url: str = Field(examples=["https://creativecommons.org/licenses/by/4.0/"])
    attribution: str = Field(
        description="Whom to credit when reusing the data.",
        examples=["BAN TỔ CHỨC — Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn"],
    )


class RoundOut(Out):
    number: int = Field(description="Round number within the contest, from 1.", examples=[1])
    title_vi: str = Field(examples=["Tuần 1"])
    title_en: str = Field(examples=["Week 1"])
    opens_at: datetime = Field(description="UTC.", examples=["2023-07-03T03:00:00Z"])
    closes_at: datetime = Field(description="UTC.", examples=["2023-07-10T02:00:00Z"])


class ContestOut(Out):
    slug: str = Field(description="The contest's identifier in URLs.", examples=["lang-son-2023"])
    title_vi: str = Field(examples=["Cuộc thi trắc nghiệm trực tuyến tìm hiểu về chuyển đổi số"])
    title_en: str = Field(examples=["Online quiz on digital transformation"])
    organiser_vi: str = Field(examples=["BAN TỔ CHỨC CUỘC THI"])
    place_vi: str = Field(examples=["Lạng Sơn"])
    kind: Literal["quiz", "works"] = Field(
        description="quiz: timed multiple-choice rounds; works: entries scored by a jury."
    )
    rounds: list[RoundOut]
    results_page: str = Field(
        description="The public results page.", examples=["/c/lang-son-2023/results"]
    )


class ContestListOut(Out):
    licence: LicenceOut
    contests: list[ContestOut] = Field(description="Published contests, newest first.")


class WinnerOut(Out):
    """One line of a published prize list, masked exactly as on the public results page."""

    position: int = Field(description="Line number in the list, from 1.", examples=[1])
    recipient_kind: Literal["individual", "collective"]
    name: str = Field(
        description="A person's family and middle names with the given name reduced to its "
        "initial; a collective's (unit's) name in full.",
        examples=["Nguyễn Văn A"],
    )
    citizen_id: str = Field(
        description="Last four digits of the CCCD for a person; empty for a collective.",
        examples=["****1234"],
    )
    unit: str = Field(
        description="The person's unit; empty for a collective.", examples=["Phường Chi Lăng"]
    )
    tier_code: str = Field(examples=["first"])
    tier_label_vi: str = Field(examples=["Giải Nhất"])
    tier_label_en: str = Field(examples=["First prize"])


class PrizeListOut(Out):
    kind: Literal["individual", "collective"]
    round_number: int | None = Field(
        description="The round of an individual list; null for a contest-wide list.", examples=[1]
    )
    round_title_vi: str = Field(examples=["Tuần 1"])
    round_title_en: str = Field(examples=["Week 1"])
    version: int = Field(
        description="A correction after approval is a new version; only the latest published "
        "version is listed.",
        examples=[1],
    )
    approved_at: datetime | None = Field(description="UTC.")
    published_at: datetime | None = Field(description="UTC.")
    winners: list[WinnerOut]


class WinnersOut(Out):
    licence: LicenceOut
    contest: str = Field(description="Contest slug.", examples=["lang-son-2023"])
    prize_lists: list[PrizeListOut] = Field(
        description="Published prize lists only: individual lists by round, then collective ones."
    )


class RoundFiguresOut(Out):
    number: int = Field(examples=[1])
    title_vi: str = Field(examples=["Tuần 1"])
    title_en: str = Field(examples=["Week 1"])
    opens_at: datetime
    closes_at: datetime
    closed: bool = Field(description="The committee has closed the round and fixed its figures.")
    participants: int = Field(
        description="People who started at least one attempt.", examples=[1886]
    )
    attempts: int = Field(description="Attempts started.", examples=[4210])
    finished_attempts: int = Field(
        description="Attempts submitted or ended at the deadline.", examples=[4102]
    )
    entrants: int | None = Field(
        description="Entrants when the round was closed; null while open.", examples=[307]
    )
    eligible_entrants: int | None = Field(
        description="Entrants who met the requirements (after screening); null while open.",
        examples=[298],
    )


class UnitFiguresOut(Out):
    code: str = Field(examples=["LS-TD"])
    name: str = Field(examples=["Huyện Tràng Định"])
    parent_code: str = Field(description="Empty for the root of the unit tree.", examples=["LS"])
    headcount: int | None = Field(description="Staff of the unit, where declared.", examples=[640])
    registered: int = Field(
        description="Participants registered in this unit itself.", examples=[212]
    )
    participants: int = Field(description="Of them, people who started an attempt.", examples=[198])
    attempts: int = Field(description="Attempts started by them.", examples=[431])
    participation_rate: float | None = Field(
        description="participants / headcount in percent (2 decimals); null without a headcount.",
        examples=[30.94],
    )


class ParticipationOut(Out):
    licence: LicenceOut
    contest: str = Field(examples=["lang-son-2023"])
    round_number: int | None = Field(
        description="The round the unit figures count (the `round` parameter); null: all rounds."
    )
    rounds: list[RoundFiguresOut]
    units: list[UnitFiguresOut] = Field(
        description="Every unit of the contest's tree; counts are the unit's own members, not "
        "rolled up from the units below it."
    )


class CertificateOut(Out):
    """What the public verification page says about a code."""

    status: Literal["valid", "revoked", "replaced"] = Field(
        description="valid: in the register and in force; revoked; replaced by a reissued one."
    )
    code: str = Field(description="The code in its printed form.", examples=["K7QM-3XWD-9T"])
    message_vi: str = Field(examples=["Giấy chứng nhận này có trong sổ cấp và đang có hiệu lực."])
    message_en: str = Field(examples=["This certificate is in the register and in force."])
    recipient: str = Field(
        description="A person's name masked (given name reduced to its initial); a collective's "
        "name in full.",
        examples=["Nguyễn Thị Hoà B"],
    )
    recipient_unit: str = Field(examples=["Phường Chi Lăng"])
    contest_title: str = Field(examples=["Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn"])
    tier_label_vi: str = Field(examples=["Giải Ba"])
    number: str = Field(description="The certificate's number.", examples=["12/GCN-BTC"])
    issued_on: date = Field(examples=["2023-08-15"])
    issuer_lines: list[str] = Field(examples=[["UBND TỈNH LẠNG SƠN", "BAN TỔ CHỨC CUỘC THI"]])
    revoked_at: datetime | None = Field(description="UTC; only for a revoked certificate.")
    revoked_reason: str | None = Field(description="Only for a revoked certificate.")
    replaced_by_code: str | None = Field(
        description="Only for a replaced certificate: the code of the one that replaces it."
    )
    verify_page: str = Field(
        description="The human verification page.", examples=["/xac-minh/K7QM-3XWD-9T"]
    )


# --- staff API ---------------------------------------------------------------------------


class TokenInfoOut(Out):
    name: str = Field(examples=["Cổng thông tin tỉnh"])
    prefix: str = Field(
        description="The token's first characters, to recognise it.", examples=["ct_4Fq9"]
    )
    scopes: list[str] = Field(examples=[["prizes:read", "rankings:read"]])
    contests: list[str] = Field(
        description="Slugs of the contests it may read.", examples=[["lang-son-2023"]]
    )
    expires_at: datetime


class StaffPrizeLineOut(Out):
    """A line of an approved prize list with full details, as in the committee's export (the
    annex of the decision)."""

    position: int = Field(examples=[1])
    recipient_kind: Literal["individual", "collective"]
    name: str = Field(
        description="Full name, or the collective's name.", examples=["Nguyễn Văn An"]
    )
    date_of_birth: date | None = Field(
        description="Null for a collective.", examples=["1985-01-02"]
    )
    unit: str = Field(examples=["Phường Chi Lăng"])
    tier_code: str = Field(examples=["first"])
    tier_label_vi: str = Field(examples=["Giải Nhất"])
    tier_label_en: str = Field(examples=["First prize"])


class StaffPrizeListOut(Out):
    kind: Literal["individual", "collective"]
    round_number: int | None
    version: int
    status: Literal["approved", "published"]
    approved_at: datetime | None
    published_at: datetime | None
    lines: list[StaffPrizeLineOut]


class StaffPrizeListsOut(Out):
    contest: str = Field(examples=["lang-son-2023"])
    prize_lists: list[StaffPrizeListOut] = Field(
        description="The signed (approved or published) version of every list."
    )


class RankingLineOut(Out):
    rank: int | None = Field(description="Null for an entry that is not eligible.", examples=[1])
    participant_id: int = Field(examples=[1024])
    full_name: str = Field(examples=["Nguyễn Văn An"])
    unit: str = Field(examples=["Phường Chi Lăng"])
    correct: int | None = Field(examples=[20])
    prediction: int | None = Field(examples=[150])
    prediction_error: float | None = Field(examples=[3])
    seconds: float = Field(description="Time taken.", examples=[312.4])
    submitted_at: datetime | None
    eligible: bool
    reason_vi: str = Field(description="Why not eligible, when not.", examples=[""])
    prize_vi: str = Field(examples=["Giải Nhất"])


class RankingOut(Out):
    contest: str = Field(examples=["lang-son-2023"])
    round_number: int = Field(examples=[1])
    lines: list[RankingLineOut]
