"""Organisers set up a contest and its rounds: window, banks, draw, timing, attempts, prediction, visibility."""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transaction, transactional
from contest.domain.attempts import ResultVisibility, validate_visibility
from contest.domain.draw import DrawSettings, PoolQuestion, PreparedPool, Quota, validate_settings
from contest.domain.errors import ContestError, InvalidInput
from contest.models import (
    Attempt,
    Contest,
    Question,
    QuestionBank,
    QuestionVersion,
    Round,
    RoundBank,
)
from contest.repositories import contests as contest_rows
from contest.services import audit, contests, units
from contest.services.context import Actor

LOCAL_FORMAT = "%d/%m/%Y %H:%M"
COUNTING = ("best", "first", "last")
PREDICTION_TARGETS = ("all_correct", "participants")
VISIBILITY = ("on_submit", "after_close", "never")
DIFFICULTIES = ("easy", "medium", "hard")
# Settings that change who scores what: frozen once anyone has started the round.
LOCKED_FIELDS = (
    "banks",
    "questions_per_attempt",
    "quotas",
    "counting",
    "time_limit_minutes",
    "max_attempts",
    "show_key",
    "prediction_target",
)

LOCKED = ContestError(
    "Đợt thi đã có lượt thi nên không thể đổi các thiết lập ảnh hưởng đến việc chấm điểm hoặc rút câu hỏi "
    "(ngân hàng, số câu, chỉ tiêu, cách tính lượt, thời gian làm bài, số lượt, hiện đáp án, câu hỏi dự đoán).",
    "The round already has attempts, so settings that change scoring or the draw cannot be changed "
    "(banks, questions per attempt, quotas, counting, time limit, attempts allowed, showing the key, prediction target).",
    field="locked",
)


def _text(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


def parse_local(value: str, field_name: str) -> datetime:
    """dd/mm/yyyy HH:MM typed in Vietnam time → aware UTC."""
    try:
        naive = datetime.strptime(" ".join((value or "").split()), LOCAL_FORMAT)
    except ValueError:
        raise ContestError(
            f"'{value}' không đúng dạng ngày giờ dd/mm/yyyy HH:MM (giờ Việt Nam).",
            f"'{value}' is not a date and time as dd/mm/yyyy HH:MM (Vietnam time).",
            field=field_name,
        ) from None
    return naive.replace(tzinfo=clock.VIETNAM).astimezone(UTC)


def format_local(moment: datetime | None) -> str:
    return clock.to_local(moment).strftime(LOCAL_FORMAT) if moment else ""


def _int(
    value: object, field_name: str, label_vi: str, label_en: str, *, low: int, high: int
) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ContestError(
            f"{label_vi}: cần một số nguyên từ {low} đến {high}.",
            f"{label_en}: a whole number from {low} to {high} is needed.",
            field=field_name,
        )
    return number


# --------------------------------------------------------------------------- contests


@dataclass
class ContestInput:
    slug: str = ""
    title_vi: str = ""
    title_en: str = ""
    organiser_vi: str = ""
    place_vi: str = ""
    rules_vi: str = ""
    rules_en: str = ""
    min_age: str = "0"
    age_cutoff: str = ""
    registration_open: bool = True
    cheating_voids_all: bool = False

    @classmethod
    def of(cls, contest: Contest) -> ContestInput:
        return cls(
            contest.slug,
            contest.title_vi,
            contest.title_en,
            contest.organiser_vi,
            contest.place_vi,
            contest.rules_vi,
            contest.rules_en,
            str(contest.min_age),
            contest.age_cutoff.strftime("%d/%m/%Y") if contest.age_cutoff else "",
            contest.registration_open,
            bool(contest.cheating_voids_all),
        )


def _check_contest(data: ContestInput) -> dict:
    problems: list[ContestError] = []
    values: dict = {}
    for name in ("title_vi", "title_en"):
        values[name] = _text(getattr(data, name))
    problems += contests.title_problems(values["title_vi"], values["title_en"])
    for name in ("organiser_vi", "place_vi"):
        values[name] = _text(getattr(data, name))[:300]
    values["rules_vi"] = unicodedata.normalize("NFC", data.rules_vi or "")
    values["rules_en"] = unicodedata.normalize("NFC", data.rules_en or "")
    try:
        values["min_age"] = _int(
            data.min_age or "0", "min_age", "Tuổi tối thiểu", "Minimum age", low=0, high=120
        )
    except ContestError as exc:
        problems.append(exc)
    values["age_cutoff"] = None
    if _text(data.age_cutoff):
        try:
            values["age_cutoff"] = datetime.strptime(_text(data.age_cutoff), "%d/%m/%Y").date()
        except ValueError:
            problems.append(
                ContestError(
                    f"'{data.age_cutoff}' không đúng dạng ngày dd/mm/yyyy.",
                    f"'{data.age_cutoff}' is not a date as dd/mm/yyyy.",
                    field="age_cutoff",
                )
            )
    values["registration_open"] = bool(data.registration_open)
    values["cheating_voids_all"] = bool(data.cheating_voids_all)
    if problems:
        raise InvalidInput(problems)
    return values


def contest_spec(db: Session, data: ContestInput) -> contests.ContestSpec:
    """The organisers' form as the specification contests.create_contest takes; every problem of
    the form (slug, titles, age) is reported at once."""
    slug = _text(data.slug).lower()
    problems = contests.slug_problems(db, slug)
    try:
        values = _check_contest(data)
    except InvalidInput as exc:
        problems.extend(exc.errors)
    if problems:
        raise InvalidInput(problems)
    return contests.ContestSpec(slug=slug, **values)


@transactional
def update_contest(db: Session, actor: Actor, contest: Contest, data: ContestInput) -> Contest:
    values = _check_contest(data)
    changed = {k: v for k, v in values.items() if getattr(contest, k) != v}
    for key, value in changed.items():
        setattr(contest, key, value)
    if changed:
        audit.record(
            db, actor, "contest.update", "contest", contest.id, {"fields": sorted(changed)}
        )
    return contest


# --------------------------------------------------------------------------- rounds


@dataclass
class QuotaRow:
    topic: str = ""
    difficulty: str = ""
    count: str = ""


@dataclass
class RoundInput:
    """A round form as typed; numbers stay strings until checked so the form can be shown again."""

    number: str = "1"
    title_vi: str = ""
    title_en: str = ""
    opens: str = ""
    closes: str = ""
    banks: list[str] = field(default_factory=list)
    questions_per_attempt: str = "20"
    quotas: list[QuotaRow] = field(default_factory=list)
    shuffle_questions: bool = True
    shuffle_options: bool = True
    time_limit_minutes: str = "20"
    max_attempts: str = "1"
    counting: str = "best"
    grace_seconds: str = "30"
    prediction_vi: str = ""
    prediction_en: str = ""
    prediction_target: str = "all_correct"
    prediction_required: bool = True
    show_score: str = "on_submit"
    show_key: str = "after_close"

    @classmethod
    def of(cls, rnd: Round, bank_codes: list[str]) -> RoundInput:
        minutes = rnd.time_limit_seconds / 60
        return cls(
            str(rnd.number),
            rnd.title_vi,
            rnd.title_en,
            format_local(rnd.opens_at),
            format_local(rnd.closes_at),
            list(bank_codes),
            str(rnd.questions_per_attempt),
            [
                QuotaRow(q.get("topic") or "", q.get("difficulty") or "", str(q["count"]))
                for q in rnd.draw_quotas or []
            ],
            rnd.shuffle_questions,
            rnd.shuffle_options,
            str(int(minutes)) if minutes.is_integer() else str(minutes),
            str(rnd.max_attempts),
            rnd.counting,
            str(rnd.grace_seconds),
            rnd.prediction_vi,
            rnd.prediction_en,
            rnd.prediction_target,
            rnd.prediction_required,
            rnd.show_score,
            rnd.show_key,
        )


def has_attempts(db: Session, round_id: int | None) -> bool:
    if round_id is None:
        return False
    return (
        db.execute(select(Attempt.id).where(Attempt.round_id == round_id).limit(1)).first()
        is not None
    )


def round_bank_codes(db: Session, round_id: int) -> list[str]:
    return list(
        db.execute(
            select(QuestionBank.code)
            .join(RoundBank, RoundBank.bank_id == QuestionBank.id)
            .where(RoundBank.round_id == round_id)
            .order_by(QuestionBank.code)
        ).scalars()
    )


def pool_for_banks(db: Session, bank_ids: list[int]) -> PreparedPool:
    rows = db.execute(
        select(
            Question.id,
            QuestionVersion.id,
            QuestionVersion.topic,
            QuestionVersion.difficulty,
            QuestionVersion.options,
        )
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id.in_(bank_ids), Question.retired_at.is_(None))
        .order_by(Question.bank_id, Question.position, Question.id)
    ).all()
    return PreparedPool(
        PoolQuestion(q, v, t, d, tuple(int(o["id"]) for o in opts)) for q, v, t, d, opts in rows
    )


def bank_topics(db: Session) -> list[str]:
    return sorted(t for t in db.execute(select(Question.topic).distinct()).scalars() if t)


def _check_round(db: Session, contest: Contest, data: RoundInput, current: Round | None) -> dict:
    problems: list[ContestError] = []
    values: dict = {}

    def attempt(fn):
        try:
            return fn()
        except InvalidInput as exc:
            problems.extend(exc.errors)
        except ContestError as exc:
            problems.append(exc)
        return None

    values["number"] = attempt(
        lambda: _int(data.number, "number", "Số thứ tự đợt", "Round number", low=1, high=999)
    )
    for name, vi, en in (
        ("title_vi", "Tên đợt (tiếng Việt)", "Title (Vietnamese)"),
        ("title_en", "Tên đợt (tiếng Anh)", "Title (English)"),
    ):
        values[name] = _text(getattr(data, name))[:200]
        if not values[name]:
            problems.append(
                ContestError(f"{vi} không được để trống.", f"{en} is required.", field=name)
            )
    values["opens_at"] = attempt(lambda: parse_local(data.opens, "opens"))
    values["closes_at"] = attempt(lambda: parse_local(data.closes, "closes"))
    if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
        problems.append(
            ContestError(
                "Thời điểm đóng phải sau thời điểm mở.",
                "The round must close after it opens.",
                field="closes",
            )
        )
    if values["number"] is not None:
        clash = db.execute(
            select(Round.id).where(Round.contest_id == contest.id, Round.number == values["number"])
        ).first()
        if clash and (current is None or clash[0] != current.id):
            problems.append(
                ContestError(
                    f"Đã có đợt thi số {values['number']}.",
                    f"There is already a round {values['number']}.",
                    field="number",
                )
            )
    values["questions_per_attempt"] = attempt(
        lambda: _int(
            data.questions_per_attempt,
            "questions_per_attempt",
            "Số câu mỗi lượt",
            "Questions per attempt",
            low=1,
            high=500,
        )
    )
    minutes = attempt(
        lambda: _int(
            data.time_limit_minutes,
            "time_limit_minutes",
            "Thời gian làm bài (phút)",
            "Time limit (minutes)",
            low=1,
            high=24 * 60,
        )
    )
    values["time_limit_seconds"] = minutes * 60 if minutes else None
    values["max_attempts"] = attempt(
        lambda: _int(
            data.max_attempts,
            "max_attempts",
            "Số lượt thi (0 = không giới hạn)",
            "Attempts allowed (0 = unlimited)",
            low=0,
            high=1000,
        )
    )
    values["grace_seconds"] = attempt(
        lambda: _int(
            data.grace_seconds or "30",
            "grace_seconds",
            "Thời gian bù trễ mạng (giây)",
            "Grace for network lag (seconds)",
            low=0,
            high=600,
        )
    )
    for name, allowed in (
        ("counting", COUNTING),
        ("prediction_target", PREDICTION_TARGETS),
        ("show_score", VISIBILITY),
        ("show_key", VISIBILITY),
    ):
        value = getattr(data, name)
        if value not in allowed:
            problems.append(
                ContestError(
                    f"Giá trị '{value}' không hợp lệ.",
                    f"The value '{value}' is not valid.",
                    field=name,
                )
            )
        values[name] = value
    values["shuffle_questions"] = bool(data.shuffle_questions)
    values["shuffle_options"] = bool(data.shuffle_options)
    values["prediction_vi"] = _text(data.prediction_vi)
    values["prediction_en"] = _text(data.prediction_en)
    values["prediction_required"] = bool(data.prediction_required)
    if values["prediction_required"] and not values["prediction_vi"]:
        problems.append(
            ContestError(
                "Câu hỏi dự đoán bắt buộc nhưng chưa có nội dung.",
                "The prediction question is required but has no text.",
                field="prediction_vi",
            )
        )

    quotas: list[dict] = []
    for n, row in enumerate(data.quotas, start=1):
        topic, difficulty, count = _text(row.topic), _text(row.difficulty), _text(row.count)
        if not (topic or difficulty or count):
            continue
        if difficulty and difficulty not in DIFFICULTIES:
            problems.append(
                ContestError(
                    f"Chỉ tiêu {n}: mức độ '{difficulty}' không hợp lệ.",
                    f"Quota {n}: the difficulty '{difficulty}' is not valid.",
                    field="quotas",
                )
            )
        number = attempt(
            lambda count=count, n=n: _int(
                count, "quotas", f"Chỉ tiêu {n}, số câu", f"Quota {n}, count", low=1, high=500
            )
        )
        if number:
            quotas.append(
                {"topic": topic or None, "difficulty": difficulty or None, "count": number}
            )
    values["draw_quotas"] = quotas

    codes = sorted({_text(c) for c in data.banks if _text(c)})
    banks = (
        list(db.execute(select(QuestionBank).where(QuestionBank.code.in_(codes))).scalars())
        if codes
        else []
    )
    missing = sorted(set(codes) - {b.code for b in banks})
    if missing:
        problems.append(
            ContestError(
                f"Không có ngân hàng câu hỏi: {', '.join(missing)}.",
                f"No such question bank: {', '.join(missing)}.",
                field="banks",
            )
        )
    values["bank_ids"] = sorted(b.id for b in banks)
    if (
        values["show_score"] in VISIBILITY
        and values["show_key"] in VISIBILITY
        and values["max_attempts"] is not None
    ):
        attempt(
            lambda: validate_visibility(
                ResultVisibility(values["show_score"], values["show_key"]), values["max_attempts"]
            )
        )
    if banks and values["questions_per_attempt"] and not any(p.field == "quotas" for p in problems):
        settings = DrawSettings(
            values["questions_per_attempt"],
            tuple(Quota(q["topic"], q["difficulty"], q["count"]) for q in quotas),
            values["shuffle_questions"],
            values["shuffle_options"],
        )
        attempt(lambda: validate_settings(pool_for_banks(db, values["bank_ids"]), settings))
    if problems:
        raise InvalidInput(problems)
    return values


def _locked_values(rnd: Round, bank_ids: list[int]) -> dict:
    return {
        "bank_ids": bank_ids,
        "questions_per_attempt": rnd.questions_per_attempt,
        "draw_quotas": list(rnd.draw_quotas or []),
        "counting": rnd.counting,
        "time_limit_seconds": rnd.time_limit_seconds,
        "max_attempts": rnd.max_attempts,
        "show_key": rnd.show_key,
        "prediction_target": rnd.prediction_target,
    }


def _write_banks(db: Session, round_id: int, bank_ids: list[int]) -> None:
    db.execute(delete(RoundBank).where(RoundBank.round_id == round_id))
    for bank_id in bank_ids:
        db.add(RoundBank(round_id=round_id, bank_id=bank_id))


@transactional
def create_round(db: Session, actor: Actor, contest: Contest, data: RoundInput) -> Round:
    values = _check_round(db, contest, data, None)
    bank_ids = values.pop("bank_ids")
    rnd = Round(contest_id=contest.id, **values)
    db.add(rnd)
    db.flush()
    _write_banks(db, rnd.id, bank_ids)
    audit.record(
        db,
        actor,
        "round.create",
        "round",
        rnd.id,
        {"contest": contest.slug, "number": rnd.number, "banks": bank_ids},
    )
    return rnd


@transactional
def update_round(db: Session, actor: Actor, rnd: Round, data: RoundInput) -> Round:
    """Refused (bilingual) when a scoring or draw setting would change after attempts began."""
    contest = db.get(Contest, rnd.contest_id)
    current_banks = sorted(
        db.execute(select(RoundBank.bank_id).where(RoundBank.round_id == rnd.id)).scalars()
    )
    values = _check_round(db, contest, data, rnd)
    if has_attempts(db, rnd.id):
        before = _locked_values(rnd, current_banks)
        if any(values[key] != before[key] for key in before):
            raise LOCKED
    bank_ids = values.pop("bank_ids")
    changed = sorted(k for k, v in values.items() if getattr(rnd, k) != v)
    for key in changed:
        setattr(rnd, key, values[key])
    if bank_ids != current_banks:
        _write_banks(db, rnd.id, bank_ids)
        changed.append("banks")
    if changed:
        audit.record(db, actor, "round.update", "round", rnd.id, {"fields": changed})
    return rnd


def next_round_input(contest: Contest) -> RoundInput:
    number = max((r.number for r in contest.rounds), default=0) + 1
    return RoundInput(number=str(number), title_vi=f"Đợt {number}", title_en=f"Round {number}")


# --------------------------------------------------------------------------- contest files

# A contest file (TOML) uses the organisers' form field names, so a page and a file say the
# same thing the same way: [contest] as the contest form, [[rounds]] as the round form.
CONTEST_FILE_KEYS = ("format", "contest", "rounds", "units")
_CONTEST_FIELDS = tuple(f.name for f in fields(ContestInput))
_ROUND_FIELDS = tuple(f.name for f in fields(RoundInput))
_FLAGS = frozenset(
    {
        "registration_open",
        "cheating_voids_all",
        "shuffle_questions",
        "shuffle_options",
        "prediction_required",
    }
)


def _unknown(where: str, table: Mapping, allowed: tuple[str, ...]) -> list[ContestError]:
    return [
        ContestError(
            f"{where}: không có mục '{key}' (các mục dùng được: {', '.join(allowed)}).",
            f"{where}: there is no key '{key}' (known keys: {', '.join(allowed)}).",
            field=f"{where}.{key}",
        )
        for key in table
        if key not in allowed
    ]


def _as_text(value: object) -> str:
    if isinstance(value, datetime):  # a TOML date-time, read as Vietnam time if it has no zone
        if value.tzinfo is not None:
            value = clock.to_local(value)
        return value.strftime(LOCAL_FORMAT)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _filled(target: object, table: Mapping, names: tuple[str, ...], where: str) -> list:
    """Copy a file's table onto a form object, field by field; the checks are the form's."""
    problems: list[ContestError] = _unknown(where, table, names)
    for key, value in table.items():
        if key not in names:
            continue
        if key in _FLAGS:
            if not isinstance(value, bool):
                problems.append(
                    ContestError(
                        f"{where}.{key}: cần true hoặc false.",
                        f"{where}.{key}: true or false is needed.",
                        field=f"{where}.{key}",
                    )
                )
                continue
            setattr(target, key, value)
        elif key == "banks":
            codes = [value] if isinstance(value, str) else value
            setattr(target, key, [str(c) for c in codes or []])
        elif key == "quotas":
            setattr(
                target,
                key,
                [
                    QuotaRow(
                        str(q.get("topic", "")),
                        str(q.get("difficulty", "")),
                        str(q.get("count", "")),
                    )
                    for q in value or []
                    if isinstance(q, Mapping)
                ],
            )
        else:
            setattr(target, key, _as_text(value))
    return problems


def round_input_from(
    table: Mapping, base: RoundInput | None = None, where: str = "round"
) -> RoundInput:
    """A round of a contest file (or `contest rounds set`'s options) as the round form; raises
    InvalidInput for a key the form does not have. ``base``: the round as it is now."""
    data = dataclasses.replace(base) if base is not None else RoundInput()
    if base is None and "number" in table:
        number = _as_text(table["number"])
        data.title_vi, data.title_en = f"Đợt {number}", f"Round {number}"
    problems = _filled(data, table, _ROUND_FIELDS, where)
    if problems:
        raise InvalidInput(problems)
    return data


def _in_round(number: object, exc: ContestError, where: str) -> list[ContestError]:
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    return [
        ContestError(
            f"Đợt {number}: {e.message_vi}",
            f"Round {number}: {e.message_en}",
            field=f"{where}.{e.field}" if e.field else where,
        )
        for e in errors
    ]


@dataclass
class ContestSetup:
    slug: str
    rounds: list[int] = field(default_factory=list)
    units_created: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _DryRun(Exception):
    pass


_ROUND_ALIASES = {"opens_local": "opens", "closes_local": "closes", "bank_code": "banks"}
# Where a round's bank comes from: said in the file for people, imported by `contest bank import`.
_ROUND_NOTES = ("bank_file", "bank_title_vi")


def _normalised(doc: Mapping) -> tuple[dict, list[ContestError]]:
    """The demo's flat file (question_banks/*/contest.toml: contest keys at the top, ISO local
    times, one bank code) read as a contest file, so last year's file needs no rewriting."""
    problems: list[ContestError] = []
    if "contest" in doc or "slug" not in doc:
        return dict(doc), problems
    flat = {
        k: v for k, v in doc.items() if k not in ("rounds", "units_file", "time_zone", "format")
    }
    if isinstance(flat.get("age_cutoff"), str):
        try:
            flat["age_cutoff"] = date.fromisoformat(flat["age_cutoff"])
        except ValueError:
            pass  # the contest form names the bad value
    zone = doc.get("time_zone", str(clock.VIETNAM))
    if zone != str(clock.VIETNAM):
        problems.append(
            ContestError(
                f"Múi giờ '{zone}' chưa được hỗ trợ; cuộc thi dùng giờ Việt Nam (Asia/Ho_Chi_Minh).",
                f"The time zone '{zone}' is not supported; contests use Vietnam time "
                "(Asia/Ho_Chi_Minh).",
                field="time_zone",
            )
        )
    out: dict = {"contest": flat, "rounds": []}
    if "units_file" in doc:
        out["units"] = doc["units_file"]
    for table in doc.get("rounds") or []:
        row = {}
        for key, value in table.items() if isinstance(table, Mapping) else ():
            if key in _ROUND_NOTES:
                continue
            if key in ("opens_local", "closes_local") and isinstance(value, str):
                try:
                    value = datetime.fromisoformat(value)
                except ValueError:
                    pass  # the round form names the bad value
            row[_ROUND_ALIASES.get(key, key)] = value
        out["rounds"].append(row)
    return out, problems


def create_from_document(
    db: Session,
    actor: Actor,
    doc: Mapping,
    *,
    units_file: tuple[str, bytes] | None = None,
    dry_run: bool = False,
) -> ContestSetup:
    """A whole contest from a file, as the organisers' pages make it: the contest form, then a
    round form per round, then the unit tree; one transaction, every problem named with where
    it is (``InvalidInput``; a field is a path in the file, e.g. ``rounds[2].closes``)."""
    doc, problems = _normalised(doc)
    problems += _unknown("(tệp / file)", doc, CONTEST_FILE_KEYS)
    head = doc.get("contest")
    if not isinstance(head, Mapping):
        head = {}
        problems.append(
            ContestError(
                "Tệp cần có bảng [contest] (slug, title_vi, title_en, …).",
                "The file needs a [contest] table (slug, title_vi, title_en, …).",
                field="contest",
            )
        )
    data = ContestInput()
    problems += _filled(data, head, _CONTEST_FIELDS, "contest")
    tables = doc.get("rounds") or []
    round_inputs: list[tuple[object, RoundInput]] = []
    for i, table in enumerate(tables if isinstance(tables, list) else []):
        where = f"rounds[{i + 1}]"
        number = table.get("number", i + 1) if isinstance(table, Mapping) else i + 1
        try:
            table = {"number": number, **(table if isinstance(table, Mapping) else {})}
            round_inputs.append((number, round_input_from(table, where=where)))
        except ContestError as exc:
            problems += _in_round(number, exc, where)
    setup = ContestSetup(_text(data.slug).lower(), dry_run=dry_run)
    try:
        with transaction(db):
            try:
                contest = contests.create_contest(db, actor, contest_spec(db, data))
            except InvalidInput as exc:
                raise InvalidInput(problems + exc.errors) from None
            if units_file is not None:
                name, content = units_file
                imported = units.import_units(db, actor, contest, content, name)
                problems += [
                    ContestError(
                        f"{e.file}, dòng {e.row or '-'}: {e.message_vi}",
                        f"{e.file}, row {e.row or '-'}: {e.message_en}",
                        field=f"units[{e.row or 0}].{e.field or ''}",
                    )
                    for e in imported.errors
                ]
                setup.units_created = imported.created
            for n, (number, rnd) in enumerate(round_inputs):
                try:
                    setup.rounds.append(create_round(db, actor, contest, rnd).number)
                except ContestError as exc:
                    problems += _in_round(number, exc, f"rounds[{n + 1}]")
            if problems:
                raise InvalidInput(problems)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return setup
    return setup


CONTEST_FILE_HEADER = (
    "# Cuộc thi và các đợt thi / a contest and its rounds\n"
    "# contest contests create FILE [--units units.csv]\n\n"
)


def read_contest_file(data: bytes, filename: str) -> dict:
    """A contest file's TOML, or a bilingual error naming the file and the problem."""
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContestError(
            f"{filename}: tệp TOML không đọc được: {exc}",
            f"{filename}: the TOML file cannot be read: {exc}",
            field="file",
        ) from None


def contest_file_text(db: Session, contest: Contest) -> str:
    """The contest file as written for people (TOML, long texts on several lines)."""
    import tomli_w

    return CONTEST_FILE_HEADER + tomli_w.dumps(export_document(db, contest), multiline_strings=True)


def units_named(doc: Mapping) -> str | None:
    """The unit tree file a contest file names (``units``, or ``units_file`` in the demo's)."""
    named = doc.get("units") or doc.get("units_file")
    return named if isinstance(named, str) else None


def export_document(db: Session, contest: Contest) -> dict:
    """The contest and its rounds as a contest file (what create_from_document reads)."""
    head = ContestInput.of(contest)
    doc: dict = {"format": 1, "contest": {k: getattr(head, k) for k in _CONTEST_FIELDS}}
    rows = []
    for rnd in sorted(contest.rounds, key=lambda r: r.number):
        form = RoundInput.of(rnd, round_bank_codes(db, rnd.id))
        row = {k: getattr(form, k) for k in _ROUND_FIELDS if k != "quotas"}
        row["number"] = rnd.number
        for key in ("questions_per_attempt", "time_limit_minutes", "max_attempts", "grace_seconds"):
            row[key] = int(float(row[key]))
        if form.quotas:
            row["quotas"] = [
                {k: v for k, v in (("topic", q.topic), ("difficulty", q.difficulty)) if v}
                | {"count": int(q.count)}
                for q in form.quotas
            ]
        rows.append(row)
    doc["contest"]["min_age"] = int(head.min_age or 0)
    doc["rounds"] = rows
    return doc


def set_round(
    db: Session, actor: Actor, contest: Contest, number: int, changes: Mapping
) -> tuple[Round, bool]:
    """`contest rounds set`: change the given settings of round ``number`` (the round form with
    only those fields changed), or create the round when it does not exist yet."""
    current = contest_rows.round_by_number(db, contest.id, number)
    if current is None:
        data = round_input_from({"number": number, **changes})
        return create_round(db, actor, contest, data), True
    base = RoundInput.of(current, round_bank_codes(db, current.id))
    return update_round(db, actor, current, round_input_from(changes, base)), False
