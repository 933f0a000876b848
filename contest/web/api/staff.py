"""The staff API: read-only results export for a province system, with a Bearer token that an
administrator made for some contests and scopes. Full names, as in the committee's export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from contest.models import ApiToken, Contest
from contest.services import api_tokens, contests, exports, prize_lists
from contest.web.api import schemas as s
from contest.web.api.errors import ApiError
from contest.web.api.public import ERRORS, Slug, _error, limit_api
from contest.web.api.responses import PRIVATE, csv_file, csv_responses, json_model
from contest.web.deps import client_ip, get_db

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A results export token (`ct_…`) made by an administrator: "
    "/admin/api-tokens or `contest tokens create`.",
)

AUTH_ERRORS: dict[int | str, dict] = {
    **{k: v for k, v in ERRORS.items() if k != 304},
    401: _error(
        "No token, or not a valid one, or expired (`token_expired`), or revoked (`token_revoked`)."
    ),
    403: _error(
        "The token lacks the scope (`insufficient_scope`) or was not issued for this contest "
        "(`forbidden_contest`)."
    ),
}
CONTEST_AUTH_ERRORS: dict[int | str, dict] = {
    **AUTH_ERRORS,
    404: _error("No contest has this slug, or no such round."),
}

router = APIRouter(prefix="/api/v1/staff", dependencies=[Depends(limit_api)], tags=["staff"])

CODES = {
    "missing": "unauthorized",
    "invalid": "invalid_token",
    "expired": "token_expired",
    "revoked": "token_revoked",
    "scope": "insufficient_scope",
    "contest": "forbidden_contest",
}
PERSONAL = (
    "# Dữ liệu cá nhân — chỉ dùng theo quyết định của Ban Tổ chức; không công bố "
    "(Nghị định 13/2023/NĐ-CP) / Personal data — for the committee's purposes only; not for publication"
)


def secret(credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> str | None:
    return credentials.credentials if credentials else None


def _refused(exc: api_tokens.TokenRefused) -> ApiError:
    return ApiError(
        exc.status,
        CODES[exc.reason],
        exc.message_vi,
        exc.message_en,
        bearer="insufficient_scope" if exc.status == 403 else "invalid_token",
    )


def _use(
    request: Request,
    db: Session,
    raw: str | None,
    *,
    contest: Contest | None = None,
    scope: str | None = None,
    what: str,
    details: dict | None = None,
) -> ApiToken:
    try:
        return api_tokens.use(
            db,
            raw,
            client_ip(request),
            contest=contest,
            scope=scope,
            what=what,
            details=details,
        )
    except api_tokens.TokenRefused as exc:
        raise _refused(exc) from None


def _contest(
    request: Request,
    db: Session,
    raw: str | None,
    slug: str,
    *,
    scope: str,
    what: str,
    details: dict | None = None,
) -> Contest:
    """The contest called `slug`, once the token may read `scope` of it (the use recorded)."""
    # Who asks comes first: without a valid token, nothing is said about what exists.
    try:
        api_tokens.authenticate(db, raw)
    except api_tokens.TokenRefused as exc:
        raise _refused(exc) from None
    contest = contests.get_by_slug(db, slug)
    _use(request, db, raw, contest=contest, scope=scope, what=what, details=details)
    return contest


@router.get(
    "/token",
    response_model=s.TokenInfoOut,
    responses=AUTH_ERRORS,
    summary="Mã truy cập đang dùng / The token in use: its scopes, contests and expiry",
)
def token_info(
    request: Request, raw: str | None = Depends(secret), db: Session = Depends(get_db)
) -> Response:
    token = _use(request, db, raw, what="token")
    body = s.TokenInfoOut(
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        contests=api_tokens.contest_slugs(db, token),
        expires_at=token.expires_at,
    )
    return json_model(request, body, cache=PRIVATE)


def _prize_lists(db: Session, contest: Contest) -> s.StaffPrizeListsOut:
    lists = sorted(
        prize_lists.final_lists(db, contest.id).items(),
        key=lambda kv: (kv[0][1] == "collective", kv[0][0] or 0),
    )
    rounds = {r.id: r.number for r in contest.rounds}
    return s.StaffPrizeListsOut(
        contest=contest.slug,
        prize_lists=[
            s.StaffPrizeListOut(
                kind=pl.kind,  # type: ignore[arg-type]
                round_number=rounds.get(pl.round_id) if pl.round_id else None,
                version=pl.version,
                status=pl.status,  # type: ignore[arg-type]
                approved_at=pl.approved_at,
                published_at=pl.published_at,
                lines=[
                    s.StaffPrizeLineOut(
                        position=line.position,
                        recipient_kind=line.recipient_kind,  # type: ignore[arg-type]
                        name=line.name,
                        date_of_birth=line.date_of_birth,
                        unit=line.unit,
                        tier_code=line.tier_code,
                        tier_label_vi=line.tier_label_vi,
                        tier_label_en=line.tier_label_en,
                    )
                    for line in exports.prize_lines(db, pl)
                ],
            )
            for _, pl in lists
        ],
    )


@router.get(
    "/contests/{slug}/prize-lists",
    response_model=s.StaffPrizeListsOut,
    responses=CONTEST_AUTH_ERRORS,
    summary="Danh sách giải đã duyệt, họ tên đầy đủ / Approved prize lists with full names (scope prizes:read)",
)
def staff_prize_lists(
    request: Request,
    slug: Slug,
    raw: str | None = Depends(secret),
    db: Session = Depends(get_db),
) -> Response:
    """The signed version (approved or published) of every list of the contest, with the
    columns of the committee's export: line, full name, date of birth, unit, prize."""
    contest = _contest(request, db, raw, slug, scope="prizes:read", what="prize_lists")
    return json_model(request, _prize_lists(db, contest), cache=PRIVATE)


PRIZE_HEADERS = (
    "loai_danh_sach",
    "dot_thi",
    "phien_ban",
    "trang_thai",
    "stt",
    "doi_tuong",
    "ho_ten",
    "ngay_sinh",
    "don_vi",
    "ma_giai",
    "giai",
)


@router.get(
    "/contests/{slug}/prize-lists.csv",
    response_class=Response,
    responses=csv_responses(CONTEST_AUTH_ERRORS),
    summary="Danh sách giải đã duyệt (CSV) / Approved prize lists as CSV (scope prizes:read)",
)
def staff_prize_lists_csv(
    request: Request,
    slug: Slug,
    raw: str | None = Depends(secret),
    db: Session = Depends(get_db),
) -> Response:
    """As `/prize-lists`, one line per prize; dates of birth as dd/mm/yyyy."""
    contest = _contest(request, db, raw, slug, scope="prizes:read", what="prize_lists.csv")
    rows = [
        (
            pl.kind,
            pl.round_number,
            pl.version,
            pl.status,
            line.position,
            line.recipient_kind,
            line.name,
            line.date_of_birth.strftime("%d/%m/%Y") if line.date_of_birth else "",
            line.unit,
            line.tier_code,
            line.tier_label_vi,
        )
        for pl in _prize_lists(db, contest).prize_lists
        for line in pl.lines
    ]
    return csv_file(
        request, PERSONAL, PRIZE_HEADERS, rows, f"{contest.slug}-danh-sach-giai.csv", cache=PRIVATE
    )


RoundNumber = Annotated[int, Path(ge=1, le=1000, description="The round's number.")]


def _ranking(db: Session, contest: Contest, number: int) -> s.RankingOut:
    round_ = contests.get_round(db, contest, number)
    return s.RankingOut(
        contest=contest.slug,
        round_number=round_.number,
        lines=[s.RankingLineOut(**vars(line)) for line in exports.ranking_lines(db, round_)],
    )


@router.get(
    "/contests/{slug}/rounds/{number}/ranking",
    response_model=s.RankingOut,
    responses=CONTEST_AUTH_ERRORS,
    summary="Bảng xếp hạng đợt thi / A round's ranking (scope rankings:read)",
)
def staff_ranking(
    request: Request,
    slug: Slug,
    number: RoundNumber,
    raw: str | None = Depends(secret),
    db: Session = Depends(get_db),
) -> Response:
    """Every entry of the round in rank order with the columns of the committee's ranking
    export: eligible entries ranked by the contest's tie-breaks, the others with the reason."""
    contest = _contest(
        request, db, raw, slug, scope="rankings:read", what="ranking", details={"round": number}
    )
    return json_model(request, _ranking(db, contest, number), cache=PRIVATE)


RANKING_HEADERS = (
    "hang",
    "ma_thi_sinh",
    "ho_ten",
    "don_vi",
    "so_cau_dung",
    "du_doan",
    "do_lech_du_doan",
    "thoi_gian_giay",
    "nop_bai_luc_utc",
    "hop_le",
    "ly_do",
    "giai",
)


@router.get(
    "/contests/{slug}/rounds/{number}/ranking.csv",
    response_class=Response,
    responses=csv_responses(CONTEST_AUTH_ERRORS),
    summary="Bảng xếp hạng đợt thi (CSV) / A round's ranking as CSV (scope rankings:read)",
)
def staff_ranking_csv(
    request: Request,
    slug: Slug,
    number: RoundNumber,
    raw: str | None = Depends(secret),
    db: Session = Depends(get_db),
) -> Response:
    contest = _contest(
        request, db, raw, slug, scope="rankings:read", what="ranking.csv", details={"round": number}
    )
    rows = [
        (
            line.rank,
            line.participant_id,
            line.full_name,
            line.unit,
            line.correct,
            line.prediction,
            line.prediction_error,
            line.seconds,
            line.submitted_at.isoformat() if line.submitted_at else "",
            line.eligible,
            line.reason_vi,
            line.prize_vi,
        )
        for line in _ranking(db, contest, number).lines
    ]
    return csv_file(
        request,
        PERSONAL,
        RANKING_HEADERS,
        rows,
        f"{contest.slug}-xep-hang-dot-{number}.csv",
        cache=PRIVATE,
    )
