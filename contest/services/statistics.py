"""Question statistics per round (facility, item-rest discrimination, options) and key correction with regrading."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import ContestError, NotFound
from contest.domain.paper import PictureRef, placeholder, read_pictures, version_ids
from contest.models import (
    Answer,
    Attempt,
    KeyCorrection,
    Question,
    QuestionVersion,
    Round,
)
from contest.services import audit, prize_lists
from contest.services.attempt_scoring import score_of, version_keys
from contest.services.context import Actor

MIN_RESPONSES = 10  # below this a correlation says nothing


@dataclass
class OptionStat:
    option_id: str
    text: str
    keyed: bool
    chosen: int = 0
    chosen_by_strong: int = 0
    pictures: tuple[PictureRef, ...] = ()


@dataclass
class QuestionStat:
    version_id: int
    question_id: int
    stem: str
    responses: int
    facility: float | None
    discrimination: float | None
    options: list[OptionStat] = field(default_factory=list)
    flags_vi: list[str] = field(default_factory=list)
    flags_en: list[str] = field(default_factory=list)
    pictures: tuple[PictureRef, ...] = ()
    text_format: str = "plain"


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def question_statistics(db: Session, round_: Round) -> list[QuestionStat]:
    """Over every final attempt of the round. Strong participants are the top 27% by total
    correct, the classical split; a distractor they prefer to the key suggests a wrong key."""
    attempts = list(
        db.execute(
            select(Attempt).where(Attempt.round_id == round_.id, Attempt.finalised_at.is_not(None))
        ).scalars()
    )
    if not attempts:
        return []
    keys = version_keys(db, version_ids(a.paper for a in attempts), round_.id)
    answers: dict[int, dict[int, list[str]]] = {}
    for ans in db.execute(
        select(Answer).where(Answer.attempt_id.in_([a.id for a in attempts]))
    ).scalars():
        answers.setdefault(ans.attempt_id, {})[ans.position] = [str(o) for o in ans.chosen or []]
    # item scores against the current keys, so statistics reflect corrections
    totals: dict[int, int] = {}
    items: dict[
        int, list[tuple[int, int, list[str]]]
    ] = {}  # version -> (attempt, item score, chosen)
    for a in attempts:
        chosen_by_pos = answers.get(a.id, {})
        total = 0
        for pos, item in enumerate(a.items):
            chosen = chosen_by_pos.get(pos, [])
            right = int(bool(chosen) and frozenset(chosen) == keys[item.version_id])
            total += right
            items.setdefault(item.version_id, []).append((a.id, right, chosen))
        totals[a.id] = total
    ordered = sorted(totals.values(), reverse=True)
    strong_cut = ordered[max(0, math.ceil(len(ordered) * 0.27) - 1)]
    versions = {
        v.id: v
        for v in db.execute(select(QuestionVersion).where(QuestionVersion.id.in_(items))).scalars()
    }
    stats: list[QuestionStat] = []
    for vid, rows in items.items():
        v = versions[vid]
        opts = {
            str(o["id"]): OptionStat(
                str(o["id"]),
                o["text"] or placeholder(read_pictures(o.get("pictures"))),
                str(o["id"]) in keys[vid],
                pictures=read_pictures(o.get("pictures")),
            )
            for o in v.options
        }
        for aid, _, chosen in rows:
            for c in chosen:
                if c in opts:
                    opts[c].chosen += 1
                    if totals[aid] >= strong_cut:
                        opts[c].chosen_by_strong += 1
        n = len(rows)
        facility = sum(r for _, r, _ in rows) / n if n else None
        disc = (
            _pearson([r for _, r, _ in rows], [totals[aid] - r for aid, r, _ in rows])
            if n >= MIN_RESPONSES
            else None
        )
        s = QuestionStat(
            vid,
            v.question_id,
            v.stem,
            n,
            facility,
            disc,
            list(opts.values()),
            pictures=read_pictures(v.pictures),
            text_format=v.text_format,
        )
        if disc is not None and disc < 0:
            s.flags_vi.append("Độ phân biệt âm: người làm tốt lại hay sai câu này.")
            s.flags_en.append(
                "Negative discrimination: strong participants get this one wrong more often."
            )
        keyed_strong = max((o.chosen_by_strong for o in s.options if o.keyed), default=0)
        for o in s.options:
            if not o.keyed and o.chosen_by_strong > keyed_strong and n >= MIN_RESPONSES:
                s.flags_vi.append(
                    f"Nhóm làm tốt chọn phương án “{o.text}” nhiều hơn đáp án: kiểm tra lại đáp án."
                )
                s.flags_en.append(
                    f"Strong participants chose “{o.text}” more than the key: check the key."
                )
        stats.append(s)
    stats.sort(key=lambda s: (not s.flags_vi, s.facility if s.facility is not None else 1))
    return stats


@dataclass(frozen=True)
class RegradeReport:
    question_version_id: int
    before_key: list[str]
    after_key: list[str]
    changes: list[dict]  # attempt id, participant id, correct before → after

    @property
    def affected(self) -> int:
        return len(self.changes)

    def as_dict(self) -> dict:
        return {
            "question_version_id": self.question_version_id,
            "before_key": self.before_key,
            "after_key": self.after_key,
            "affected": self.affected,
            "changes": self.changes,
        }


def correct_key(
    db: Session,
    actor: Actor,
    round_: Round,
    version_id: int,
    correct_options: list[str],
    reason: str,
) -> RegradeReport:
    """Record the right key for a version on the round's papers and regrade every attempt
    that carries it, all in one transaction. Refused once a prize list of the round is
    approved: a correction then goes through a new list version after the regrade."""
    reason = (reason or "").strip()
    if not reason:
        raise ContestError(
            "Cần nêu lý do sửa đáp án.",
            "A reason for the key correction is needed.",
            field="reason",
        )
    version = db.get(QuestionVersion, version_id)
    if version is None:
        raise NotFound("Không tìm thấy câu hỏi.", "Question not found.")
    option_ids = {str(o["id"]) for o in version.options}
    chosen = sorted({str(o) for o in correct_options})
    if not chosen or not set(chosen) <= option_ids:
        raise ContestError(
            "Đáp án mới phải là phương án của câu hỏi.",
            "The new key must be options of the question.",
            field="correct_options",
        )
    if prize_lists.has_final(db, round_id=round_.id):
        raise ContestError(
            "Danh sách giải của đợt đã được phê duyệt; không thể chấm lại.",
            "A prize list of this round is approved; it cannot be regraded.",
            field="round",
        )
    on_papers = [
        a
        for a in db.execute(select(Attempt).where(Attempt.round_id == round_.id)).scalars()
        if version_id in version_ids([a.paper])
    ]
    if not on_papers:
        raise ContestError(
            "Câu hỏi này không có trong đề thi nào của đợt; chỉ sửa được đáp án của câu hỏi đã"
            " ra trong đợt.",
            "This question is on no paper of the round; only the key of a question the round"
            " asked can be corrected.",
            field="question_version_id",
        )
    before = sorted(version_keys(db, [version_id], round_.id)[version_id])
    attempts = [a for a in on_papers if a.finalised_at is not None]
    now = clock.now()
    correction = KeyCorrection(
        round_id=round_.id,
        question_version_id=version_id,
        correct_options=chosen,
        reason=reason,
        corrected_by=actor.audit_name[:120],
        corrected_at=now,
        report={},
    )
    db.add(correction)
    db.flush()
    keys = version_keys(db, version_ids(a.paper for a in attempts), round_.id)
    answers: dict[int, list[Answer]] = {}
    if attempts:
        for ans in db.execute(
            select(Answer).where(Answer.attempt_id.in_([a.id for a in attempts]))
        ).scalars():
            answers.setdefault(ans.attempt_id, []).append(ans)
    changes = []
    for a in attempts:
        result = score_of(a, answers.get(a.id, []), keys)
        if result.correct != a.correct:
            changes.append(
                {
                    "attempt_id": a.id,
                    "participant_id": a.participant_id,
                    "before": a.correct,
                    "after": result.correct,
                }
            )
        a.correct, a.answered, a.score = result.correct, result.answered, result.score
    # later draws should carry the right key: the question gets a new version
    question = db.get(Question, version.question_id)
    latest = db.execute(
        select(QuestionVersion)
        .where(QuestionVersion.question_id == version.question_id)
        .order_by(QuestionVersion.version.desc())
        .limit(1)
    ).scalar_one()
    new_version = QuestionVersion(
        question_id=version.question_id,
        version=latest.version + 1,
        stem=version.stem,
        text_format=version.text_format,
        topic=version.topic,
        difficulty=version.difficulty,
        explanation=version.explanation,
        source=version.source,
        number=version.number,
        pictures=version.pictures,
        created_at=now,
        options=[{**o, "correct": str(o["id"]) in chosen} for o in version.options],
    )
    db.add(new_version)
    db.flush()
    if question is not None and question.current_version_id == version.id:
        question.current_version_id = new_version.id
    report = RegradeReport(version_id, before, chosen, changes)
    correction.report = report.as_dict()
    audit.record(
        db,
        actor,
        "results.correct_key",
        "question_version",
        version_id,
        {
            "round_id": round_.id,
            "reason": reason,
            **{k: v for k, v in report.as_dict().items() if k != "changes"},
        },
    )
    db.commit()
    return report
