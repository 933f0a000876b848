"""The public API: published contests, winners (masked), participation figures, certificate
verification, and CSV/JSON downloads of the same open data. Read-only, rate-limited per address."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from contest.config import get_settings
from contest.models import Contest
from contest.services import certificates, open_data
from contest.services.ratelimit import hit_address
from contest.web.api import schemas as s
from contest.web.api.errors import ApiError
from contest.web.api.responses import REVALIDATE, csv_file, csv_responses, json_model
from contest.web.deps import client_ip, get_db
from contest.web.routers.certificates import VERIFY_LIMIT


def limit_api(request: Request) -> None:
    """Requests per address (CONTEST_API_LIMIT_PER_ADDRESS): 429 with Retry-After past it."""
    hit_address(client_ip(request), "api", get_settings().api_limit_per_address)


def _error(description: str) -> dict:
    return {"model": s.ApiErrorOut, "description": description}


ERRORS: dict[int | str, dict] = {
    304: {"description": "Not modified: the `If-None-Match` header matched the `ETag`."},
    422: _error("A parameter is not valid (the `fields` say which)."),
    429: _error("Too many requests from this address; see `Retry-After`."),
}
CONTEST_ERRORS: dict[int | str, dict] = {
    **ERRORS,
    404: _error("No published contest has this slug."),
}

router = APIRouter(prefix="/api/v1", dependencies=[Depends(limit_api)], tags=["open data"])

Slug = Annotated[
    str,
    Path(
        description="The contest's slug, as in its address /c/{slug}.",
        pattern=r"^[a-z0-9][a-z0-9\-]{1,78}[a-z0-9]$",
        examples=["lang-son-2023"],
    ),
]
RoundParam = Annotated[
    int | None,
    Query(
        alias="round",
        ge=1,
        le=1000,
        description="Count the units' figures in this round only (its number); default: all rounds.",
    ),
]
KindParam = Annotated[
    Literal["individual", "collective"] | None,
    Query(description="Only individual or only collective prize lists; default: both."),
]


def _licence(contest: Contest | None) -> s.LicenceOut:
    lic = open_data.licence(contest)
    return s.LicenceOut(name=lic.name, url=lic.url, attribution=lic.attribution)


def _contest_out(db: Session, contest: Contest) -> s.ContestOut:
    return s.ContestOut(
        slug=contest.slug,
        title_vi=contest.title_vi,
        title_en=contest.title_en or "",
        organiser_vi=contest.organiser_vi or "",
        place_vi=contest.place_vi or "",
        kind="works" if contest.kind == "works" else "quiz",
        rounds=[
            s.RoundOut(
                number=r.number,
                title_vi=r.title_vi,
                title_en=r.title_en or "",
                opens_at=r.opens_at,
                closes_at=r.closes_at,
            )
            for r in contest.rounds
        ],
        results_page=f"/c/{contest.slug}/results",
    )


@router.get(
    "/contests",
    response_model=s.ContestListOut,
    responses=ERRORS,
    summary="Các cuộc thi đã công bố / Published contests",
)
def list_contests(request: Request, db: Session = Depends(get_db)) -> Response:
    """Every published contest with its rounds, newest first. Drafts are not listed."""
    body = s.ContestListOut(
        licence=_licence(None),
        contests=[_contest_out(db, c) for c in open_data.public_contests(db)],
    )
    return json_model(request, body)


@router.get(
    "/contests/{slug}",
    response_model=s.ContestOut,
    responses=CONTEST_ERRORS,
    summary="Một cuộc thi đã công bố / One published contest",
)
def get_contest(request: Request, slug: Slug, db: Session = Depends(get_db)) -> Response:
    return json_model(request, _contest_out(db, open_data.public_contest(db, slug)))


# --- winners ------------------------------------------------------------------------------


def _winners(db: Session, contest: Contest, kind: str | None) -> s.WinnersOut:
    lists = open_data.cached(
        db, contest, "api-winners", lambda: open_data.published_lists(db, contest)
    )
    return s.WinnersOut(
        licence=_licence(contest),
        contest=contest.slug,
        prize_lists=[
            s.PrizeListOut(
                kind=pl.kind,  # type: ignore[arg-type]
                round_number=pl.round_number,
                round_title_vi=pl.round_title_vi,
                round_title_en=pl.round_title_en,
                version=pl.version,
                approved_at=pl.approved_at,
                published_at=pl.published_at,
                winners=[
                    s.WinnerOut(
                        position=w.position,
                        recipient_kind=w.recipient_kind,  # type: ignore[arg-type]
                        name=w.name,
                        citizen_id=w.citizen_id,
                        unit=w.unit,
                        tier_code=w.tier_code,
                        tier_label_vi=w.tier_label_vi,
                        tier_label_en=w.tier_label_en,
                    )
                    for w in pl.winners
                ],
            )
            for pl in lists
            if kind is None or pl.kind == kind
        ],
    )


@router.get(
    "/contests/{slug}/winners",
    response_model=s.WinnersOut,
    responses=CONTEST_ERRORS,
    summary="Danh sách đạt giải đã công bố / Published winners and collectives (masked)",
)
def winners(
    request: Request, slug: Slug, kind: KindParam = None, db: Session = Depends(get_db)
) -> Response:
    """The published prize lists, masked exactly as on the public results page: a person's
    given name reduced to its initial and the last four digits of the CCCD. A list approved
    but not yet published is not shown; after a correction only the latest published version is."""
    contest = open_data.public_contest(db, slug)
    return json_model(request, _winners(db, contest, kind))


@router.get(
    "/contests/{slug}/winners.json",
    response_model=s.WinnersOut,
    responses=CONTEST_ERRORS,
    summary="Tải về: danh sách đạt giải (JSON) / Download: winners as a JSON file",
)
def winners_json(
    request: Request, slug: Slug, kind: KindParam = None, db: Session = Depends(get_db)
) -> Response:
    """The same data as `/winners`, as an attachment named after the contest."""
    contest = open_data.public_contest(db, slug)
    return json_model(
        request, _winners(db, contest, kind), filename=f"{contest.slug}-giai-thuong.json"
    )


WINNER_HEADERS = (
    "loai_danh_sach",
    "dot_thi",
    "phien_ban",
    "stt",
    "doi_tuong",
    "ho_ten",
    "cccd",
    "don_vi",
    "ma_giai",
    "giai",
    "prize",
)


@router.get(
    "/contests/{slug}/winners.csv",
    response_class=Response,
    responses=csv_responses(CONTEST_ERRORS),
    summary="Tải về: danh sách đạt giải (CSV) / Download: winners as CSV",
)
def winners_csv(
    request: Request, slug: Slug, kind: KindParam = None, db: Session = Depends(get_db)
) -> Response:
    """UTF-8 with a byte-order mark, so Excel shows Vietnamese letters right. The first line is
    the licence, starting with `#` (skip one line when reading); then a header row: list kind,
    round number, version, line number, recipient kind, name (masked), CCCD (last 4 digits),
    unit, prize code, prize in Vietnamese and in English."""
    contest = open_data.public_contest(db, slug)
    data = _winners(db, contest, kind)
    rows = [
        (
            pl.kind,
            pl.round_number,
            pl.version,
            w.position,
            w.recipient_kind,
            w.name,
            w.citizen_id,
            w.unit,
            w.tier_code,
            w.tier_label_vi,
            w.tier_label_en,
        )
        for pl in data.prize_lists
        for w in pl.winners
    ]
    licence = open_data.licence(contest).line()
    return csv_file(request, licence, WINNER_HEADERS, rows, f"{contest.slug}-giai-thuong.csv")


# --- participation -------------------------------------------------------------------------


def _participation(db: Session, contest: Contest, number: int | None) -> s.ParticipationOut:
    round_ = open_data.public_round(db, contest, number) if number is not None else None

    def build() -> s.ParticipationOut:
        return s.ParticipationOut(
            licence=_licence(contest),
            contest=contest.slug,
            round_number=number,
            rounds=[s.RoundFiguresOut(**vars(f)) for f in open_data.round_figures(db, contest)],
            units=[
                s.UnitFiguresOut(**vars(f)) for f in open_data.unit_figures(db, contest, round_)
            ],
        )

    return open_data.cached(db, contest, f"api-participation-{number}", build)


@router.get(
    "/contests/{slug}/participation",
    response_model=s.ParticipationOut,
    responses={
        **CONTEST_ERRORS,
        404: _error("No published contest has this slug, or no such round."),
    },
    summary="Số liệu tham gia theo đợt và đơn vị / Participation per round and per unit",
)
def participation(
    request: Request, slug: Slug, round_number: RoundParam = None, db: Session = Depends(get_db)
) -> Response:
    """Counts only, nothing about any person: per round, people and attempts; per unit of the
    contest's tree, registrations, people who took part, attempts and the rate against the
    unit's headcount. Counted by the database, at most a minute old."""
    contest = open_data.public_contest(db, slug)
    return json_model(request, _participation(db, contest, round_number))


@router.get(
    "/contests/{slug}/participation.json",
    response_model=s.ParticipationOut,
    responses={
        **CONTEST_ERRORS,
        404: _error("No published contest has this slug, or no such round."),
    },
    summary="Tải về: số liệu tham gia (JSON) / Download: participation as a JSON file",
)
def participation_json(
    request: Request, slug: Slug, round_number: RoundParam = None, db: Session = Depends(get_db)
) -> Response:
    contest = open_data.public_contest(db, slug)
    suffix = f"-dot-{round_number}" if round_number else ""
    return json_model(
        request,
        _participation(db, contest, round_number),
        filename=f"{contest.slug}-tham-gia{suffix}.json",
    )


ROUND_HEADERS = (
    "dot_thi",
    "ten_dot",
    "round_title",
    "mo_luc_utc",
    "dong_luc_utc",
    "da_chot",
    "so_nguoi_du_thi",
    "so_luot_thi",
    "so_luot_da_nop",
    "so_bai_du_thi_khi_chot",
    "so_bai_hop_le",
)
UNIT_HEADERS = (
    "ma_don_vi",
    "don_vi",
    "ma_don_vi_cap_tren",
    "so_can_bo",
    "so_nguoi_dang_ky",
    "so_nguoi_du_thi",
    "so_luot_thi",
    "ty_le_tham_gia_phan_tram",
)


@router.get(
    "/contests/{slug}/participation-rounds.csv",
    response_class=Response,
    responses=csv_responses(CONTEST_ERRORS),
    summary="Tải về: tham gia theo đợt (CSV) / Download: participation per round as CSV",
)
def participation_rounds_csv(
    request: Request, slug: Slug, db: Session = Depends(get_db)
) -> Response:
    """The `rounds` of `/participation`. First line: the licence, starting with `#`."""
    contest = open_data.public_contest(db, slug)
    data = _participation(db, contest, None)
    rows = [
        (
            r.number,
            r.title_vi,
            r.title_en,
            r.opens_at.isoformat(),
            r.closes_at.isoformat(),
            r.closed,
            r.participants,
            r.attempts,
            r.finished_attempts,
            r.entrants,
            r.eligible_entrants,
        )
        for r in data.rounds
    ]
    licence = open_data.licence(contest).line()
    return csv_file(request, licence, ROUND_HEADERS, rows, f"{contest.slug}-tham-gia-theo-dot.csv")


@router.get(
    "/contests/{slug}/participation-units.csv",
    response_class=Response,
    responses=csv_responses(
        {**CONTEST_ERRORS, 404: _error("No published contest has this slug, or no such round.")}
    ),
    summary="Tải về: tham gia theo đơn vị (CSV) / Download: participation per unit as CSV",
)
def participation_units_csv(
    request: Request, slug: Slug, round_number: RoundParam = None, db: Session = Depends(get_db)
) -> Response:
    """The `units` of `/participation` (in one round with `round`). First line: the licence."""
    contest = open_data.public_contest(db, slug)
    data = _participation(db, contest, round_number)
    rows = [
        (
            u.code,
            u.name,
            u.parent_code,
            u.headcount,
            u.registered,
            u.participants,
            u.attempts,
            u.participation_rate,
        )
        for u in data.units
    ]
    suffix = f"-dot-{round_number}" if round_number else ""
    licence = open_data.licence(contest).line()
    return csv_file(
        request, licence, UNIT_HEADERS, rows, f"{contest.slug}-tham-gia-theo-don-vi{suffix}.csv"
    )


# --- certificates ------------------------------------------------------------------------


@router.get(
    "/certificates/{code}",
    response_model=s.CertificateOut,
    responses={
        **ERRORS,
        404: _error(
            "No certificate carries this code (`unknown_code`), or it is not a well-formed code "
            "or its check character is wrong, a typo (`invalid_code`)."
        ),
    },
    tags=["certificates"],
    summary="Xác minh giấy chứng nhận theo mã / Verify a certificate by its code",
)
def verify_certificate(
    request: Request,
    code: Annotated[
        str,
        Path(
            description="The code printed under the QR code (10 letters and digits; case, "
            "spaces and hyphens do not matter).",
            max_length=64,
            examples=["K7QM-3XWD-9T"],
        ),
    ],
    db: Session = Depends(get_db),
) -> Response:
    """What the public verification page /xac-minh/{code} says: valid, revoked (with the date
    and reason) or replaced (with the code of the reissued certificate). The recipient's given
    name is reduced to its initial, as on that page."""
    # The verification page's own limit too: the API is no faster way to try codes.
    hit_address(client_ip(request), "verify", VERIFY_LIMIT)
    result = certificates.verify(db, code)
    if result.status in ("malformed", "unknown") or result.certificate is None:
        # A mistyped code names no certificate either; `code` tells the two apart.
        code = "invalid_code" if result.status == "malformed" else "unknown_code"
        raise ApiError(404, code, result.message_vi, result.message_en)
    c = result.certificate
    body = s.CertificateOut(
        status=result.status,  # type: ignore[arg-type]
        code=result.code,
        message_vi=result.message_vi,
        message_en=result.message_en,
        recipient=result.recipient,
        recipient_unit=c.recipient_unit or "",
        contest_title=result.contest_title,
        tier_label_vi=c.tier_label_vi,
        number=c.number,
        issued_on=c.issued_on,
        issuer_lines=[str(line) for line in c.issuer_lines or []],
        revoked_at=c.revoked_at if result.status == "revoked" else None,
        revoked_reason=c.revoked_reason if result.status == "revoked" else None,
        replaced_by_code=result.replaced_by_code or None if result.status == "replaced" else None,
        verify_page=f"/xac-minh/{result.code}",
    )
    return json_model(request, body, cache=REVALIDATE)
