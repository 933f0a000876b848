"""Round results: scoring left-over attempts, closing a round, the individual ranking and approved awards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.awards import AwardRecord
from contest.domain.eligibility import (
    AttemptFacts,
    Decision,
    Profile,
    ScreeningRules,
    Verdict,
    caught_cheating,
    screen_attempt,
    screen_round,
)
from contest.domain.eligibility import decide as decide_verdict
from contest.domain.errors import ContestError, NotFound
from contest.domain.paper import version_ids
from contest.domain.ranking import DEFAULT_ORDER, Entry, TieBreak, rank_entries
from contest.domain.scoring import (
    CountingPolicy,
    PredictionTarget,
    ScoredAttempt,
    counting_attempt,
    prediction_error,
    prediction_true_figure,
)
from contest.models import (
    Attempt,
    Contest,
    EligibilityDecision,
    KeyCorrection,
    Participant,
    Round,
    RoundResult,
    Unit,
    WebSession,
)
from contest.repositories import excluded
from contest.repositories import units as unit_rows
from contest.services import audit, prize_lists, prize_plans
from contest.services.attempt_scoring import (
    answers_of,
    materialise,
    score_of,
    settled_at,
    version_keys,
)
from contest.services.context import Actor
from contest.services.taking import scored_attempt

# --- scoring -------------------------------------------------------------------------------


def finalise_due_attempts(db: Session, round_: Round, now: datetime) -> int:
    """Score every attempt of the round that is final by the clock but was never scored."""
    pending = list(
        db.execute(
            select(Attempt).where(Attempt.round_id == round_.id, Attempt.finalised_at.is_(None))
        ).scalars()
    )
    return materialise(db, pending, now)


def regrade_corrected(db: Session, round_: Round) -> int:
    """Score again every final attempt carrying a version whose key was corrected in this round:
    an attempt running during the correction was finalised with the old key."""
    corrected = set(
        db.execute(
            select(KeyCorrection.question_version_id).where(KeyCorrection.round_id == round_.id)
        ).scalars()
    )
    if not corrected:
        return 0
    attempts = [
        a
        for a in db.execute(
            select(Attempt).where(Attempt.round_id == round_.id, Attempt.finalised_at.is_not(None))
        ).scalars()
        if not corrected.isdisjoint(version_ids([a.paper]))
    ]
    keys = version_keys(db, version_ids(a.paper for a in attempts), round_.id)
    answers = answers_of(db, [a.id for a in attempts])
    changed = 0
    for a in attempts:
        result = score_of(a, answers.get(a.id, []), keys)
        changed += result.correct != a.correct
        a.correct, a.answered, a.score = result.correct, result.answered, result.score
    db.flush()
    return changed


# --- the round's data ----------------------------------------------------------------------


def finished_at(a: Attempt) -> datetime:
    return a.started_at + timedelta(milliseconds=a.duration_ms or 0)


def screening_rules(db: Session, contest: Contest, round_: Round) -> ScreeningRules:
    unit_ids = frozenset(str(u) for u in unit_rows.unit_ids(db, contest.id))
    return ScreeningRules(
        min_age=contest.min_age or None,
        age_cutoff=contest.age_cutoff,
        opens_at=round_.opens_at,
        closes_at=round_.closes_at + timedelta(seconds=round_.grace_seconds or 0),
        known_unit_ids=unit_ids,
        excluded_citizen_ids=excluded.excluded_citizen_ids(db, contest.id),
        min_seconds_per_question=contest.min_seconds_per_question,
        require_all_answered=contest.require_all_answered,
        cheating_voids_all=bool(contest.cheating_voids_all),
    )


def subject_key(kind: str, subject_id: int) -> str:
    return f"{'p' if kind == 'participant' else 'a'}:{subject_id}"


def _domain_decision(d: EligibilityDecision) -> Decision:
    return Decision(
        subject_key(d.subject_kind, d.subject_id),
        d.eligible,
        d.reason,
        d.reason,
        d.decided_by,
        d.decided_at,
    )


def _facts(a: Attempt) -> AttemptFacts:
    return AttemptFacts(
        f"a:{a.id}",
        f"p:{a.participant_id}",
        a.question_count,
        a.answered or 0,
        a.started_at,
        finished_at(a),
    )


def devices_of(db: Session, contest_id: int) -> dict[int, frozenset[str]]:
    """The device cookies each participant of the contest has signed in with."""
    found: dict[int, set[str]] = {}
    for pid, device in db.execute(
        select(WebSession.participant_id, WebSession.device)
        .join(Participant, Participant.id == WebSession.participant_id)
        .where(Participant.contest_id == contest_id, WebSession.device != "")
        .distinct()
    ):
        found.setdefault(pid, set()).add(device)
    return {pid: frozenset(d) for pid, d in found.items()}


def caught_in_other_rounds(
    db: Session,
    contest: Contest,
    round_: Round,
    rules: ScreeningRules,
    decisions: Sequence[EligibilityDecision],
) -> dict[str, str]:
    """Participants caught cheating in another round of the contest (participant key ->
    attempt key). Only attempts fast enough to be flagged are read, so this stays cheap."""
    if rules.min_seconds_per_question is None:
        return {}
    limit_ms = rules.min_seconds_per_question * 1000
    suspects = list(
        db.execute(
            select(Attempt)
            .join(Round, Round.id == Attempt.round_id)
            .where(
                Round.contest_id == contest.id,
                Attempt.round_id != round_.id,
                Attempt.finalised_at.is_not(None),
                Attempt.duration_ms < Attempt.question_count * limit_ms,
            )
        ).scalars()
    )
    if not suspects:
        return {}
    by_subject: dict[str, list[Decision]] = {}
    for d in decisions:
        by_subject.setdefault(subject_key(d.subject_kind, d.subject_id), []).append(
            _domain_decision(d)
        )
    speed_only = ScreeningRules(
        min_seconds_per_question=rules.min_seconds_per_question, require_all_answered=False
    )
    verdicts = {}
    owners = {}
    for a in suspects:
        f = _facts(a)
        owners[f.attempt_id] = f.participant_id
        ruling = sorted(
            by_subject.get(f.participant_id, []) + by_subject.get(f.attempt_id, []),
            key=lambda d: d.decided_at,
        )
        verdicts[f.attempt_id] = decide_verdict(f.attempt_id, screen_attempt(f, speed_only), ruling)
    return caught_cheating(verdicts, owners)


@dataclass
class RoundData:
    """Everything ranking, screening and statistics need about one round, loaded once."""

    contest: Contest
    round: Round
    attempts: list[Attempt]
    participants: dict[int, Participant]
    units: dict[int, Unit]
    verdicts: dict[int, Verdict]
    counting: dict[int, Attempt]  # participant id -> the attempt that counts
    used: dict[int, int]
    true_figure: int
    closed: RoundResult | None
    order: tuple[TieBreak, ...] = DEFAULT_ORDER
    entries: list[Entry] = field(default_factory=list)


def load_round(db: Session, round_: Round, *, order: Sequence[TieBreak] | None = None) -> RoundData:
    """Final attempts with their verdicts, each participant's counting attempt and the entries
    to rank. A participant's eligible attempts compete first: one flagged attempt does not
    void another clean one."""
    contest = db.get_one(Contest, round_.contest_id)
    attempts = list(
        db.execute(
            select(Attempt)
            .where(Attempt.round_id == round_.id, Attempt.finalised_at.is_not(None))
            .order_by(Attempt.id)
        ).scalars()
    )
    # Every registered person of the contest, not only this round's: a second account may have
    # taken a different round, and one CCCD registered twice is found whichever round each took.
    participants = {
        p.id: p
        for p in db.execute(
            select(Participant).where(Participant.contest_id == contest.id)
        ).scalars()
    }
    units = unit_rows.units_by_id(db, contest.id)
    all_decisions = list(
        db.execute(
            select(EligibilityDecision)
            .where(EligibilityDecision.contest_id == contest.id)
            .order_by(EligibilityDecision.decided_at, EligibilityDecision.id)
        ).scalars()
    )
    decisions = [
        d
        for d in all_decisions
        if d.round_id in (None, round_.id) or d.subject_kind == "participant"
    ]
    domain_decisions = [_domain_decision(d) for d in decisions]
    devices = devices_of(db, contest.id)
    profiles = [
        Profile(
            participant_id=f"p:{p.id}",
            full_name=p.full_name,
            date_of_birth=p.date_of_birth,
            gender=p.gender,
            citizen_id=p.citizen_id,
            phone=p.phone,
            email=p.email,
            unit_id=str(p.unit_id) if p.unit_id else None,
            registered_at=p.registered_at,
            devices=devices.get(p.id, frozenset()),
        )
        for p in participants.values()
    ]
    facts = [_facts(a) for a in attempts]
    rules = screening_rules(db, contest, round_)
    caught = (
        caught_in_other_rounds(db, contest, round_, rules, all_decisions)
        if rules.cheating_voids_all
        else {}
    )
    by_key = screen_round(profiles, facts, rules, domain_decisions, caught)
    verdicts = {a.id: by_key[f"a:{a.id}"] for a in attempts}

    if order is None:
        plan = prize_plans.plan_for(db, contest.id, round_.id, required=False)
        order = plan.order if plan is not None else DEFAULT_ORDER
    policy = CountingPolicy(round_.counting or "best")
    grouped: dict[int, list[ScoredAttempt]] = {}
    for a in attempts:
        grouped.setdefault(a.participant_id, []).append(scored_attempt(a, verdicts[a.id].eligible))
    # A participant's eligible attempts compete first: one flagged attempt does not void a clean one.
    pools = {pid: [s for s in group if s.eligible] or group for pid, group in grouped.items()}
    by_id = {a.id: a for a in attempts}

    def choose(figure: int | None) -> dict[int, Attempt]:
        chosen = {
            pid: counting_attempt(pool, policy, order=order, true_figure=figure)
            for pid, pool in pools.items()
        }
        return {pid: by_id[int(c.attempt_id)] for pid, c in chosen.items() if c is not None}

    closed = db.get(RoundResult, round_.id)
    if closed is not None:
        true_figure = closed.true_figure
    else:
        # The true figure comes from counting attempts, and the closer prediction may choose
        # among them: without it first (whether someone answered all correctly does not
        # depend on it), then with it.
        true_figure = prediction_true_figure(
            [scored_attempt(a, verdicts[a.id].eligible) for a in choose(None).values()],
            PredictionTarget(round_.prediction_target or "all_correct"),
        )
    counting = choose(true_figure)
    used = {pid: len(group) for pid, group in grouped.items()}
    data = RoundData(
        contest,
        round_,
        attempts,
        participants,
        units,
        verdicts,
        counting,
        used,
        true_figure,
        closed,
        tuple(order),
    )
    data.entries = [entry_of(data, a) for a in counting.values()]
    return data


def entry_of(data: RoundData, a: Attempt) -> Entry:
    p = data.participants[a.participant_id]
    return Entry(
        entry_id=str(a.id),
        owner_id=str(a.participant_id),
        score=float(a.correct or 0),
        prediction_error=prediction_error(a.prediction, data.true_figure),
        duration_seconds=(a.duration_ms or 0) / 1000,
        submitted_at=finished_at(a),
        attempts_used=data.used[a.participant_id],
        registered_at=p.registered_at,
        group=p.participant_group,
        unit_id=str(p.unit_id) if p.unit_id else None,
        eligible=data.verdicts[a.id].eligible,
    )


# --- closing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseReport:
    round_id: int
    true_figure: int
    prediction_target: str
    entrants: int
    eligible_entrants: int
    flagged: int
    scored_now: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def close_round(db: Session, actor: Actor, round_: Round) -> CloseReport:
    """Score what is left, screen, and fix the prediction's true figure from eligible entries.

    Closing again recomputes (decisions taken since may change the figure) until a prize
    list of the round has been approved: from then on the figure is part of a signed decision."""
    now = clock.now()
    if now < settled_at(db, round_):
        raise ContestError(
            "Đợt thi chưa kết thúc (kể cả thời gian bù cho mạng chậm), chưa thể chốt kết quả.",
            "The round has not closed yet; its results cannot be fixed.",
            field="round",
        )
    if prize_lists.has_final(db, round_id=round_.id):
        raise ContestError(
            "Danh sách giải của đợt đã được phê duyệt; không thể chốt lại kết quả.",
            "A prize list of this round is approved; the round cannot be closed again.",
            field="round",
        )
    scored_now = finalise_due_attempts(db, round_, now)
    regrade_corrected(db, round_)
    existing = db.get(RoundResult, round_.id)
    if existing is not None:
        db.delete(existing)
        db.flush()
    data = load_round(db, round_)
    figure = data.true_figure
    eligible = sum(1 for a in data.counting.values() if data.verdicts[a.id].eligible)
    flagged = sum(1 for v in data.verdicts.values() if v.flags)
    db.add(
        RoundResult(
            round_id=round_.id,
            closed_at=now,
            closed_by=actor.audit_name[:120],
            prediction_target=round_.prediction_target or "all_correct",
            true_figure=figure,
            entrants=len(data.counting),
            eligible_entrants=eligible,
            scored_at_close=scored_now,
        )
    )
    report = CloseReport(
        round_.id,
        figure,
        round_.prediction_target or "all_correct",
        len(data.counting),
        eligible,
        flagged,
        scored_now,
    )
    audit.record(db, actor, "results.close_round", "round", round_.id, report.as_dict())
    db.commit()
    return report


# --- ranking ---------------------------------------------------------------------------------

KEY_WORDS = {
    TieBreak.CORRECT: ("số câu đúng", "correct answers"),
    TieBreak.PREDICTION_ERROR: ("độ lệch dự đoán", "prediction error"),
    TieBreak.DURATION: ("thời gian làm bài", "time taken"),
    TieBreak.SUBMITTED_AT: ("thời điểm nộp bài", "submission time"),
    TieBreak.ATTEMPTS_USED: ("số lượt thi đã dùng", "attempts used"),
    TieBreak.REGISTERED_AT: ("thời điểm đăng ký", "registration time"),
}


def _show(key: TieBreak, e: Entry) -> tuple[str, str]:
    if key is TieBreak.CORRECT:
        v = f"{e.score:g}"
        return v, v
    if key is TieBreak.PREDICTION_ERROR:
        v = "—" if e.prediction_error is None else f"{e.prediction_error:g}"
        return v, v
    if key is TieBreak.DURATION:
        v = f"{e.duration_seconds:g}"
        return f"{v.replace('.', ',')} giây", f"{v} s"
    if key is TieBreak.ATTEMPTS_USED:
        return str(e.attempts_used), str(e.attempts_used)
    moment = e.submitted_at if key is TieBreak.SUBMITTED_AT else e.registered_at
    if moment is None:
        return "—", "—"
    local = clock.to_local(moment)
    return local.strftime("%H:%M:%S %d/%m/%Y"), local.strftime("%H:%M:%S %d/%m/%Y")


def why_here(
    above: Entry | None, entry: Entry, order: Sequence[TieBreak], tied: bool
) -> tuple[str, str]:
    """One sentence per entry: the first ranking key that puts it behind the entry above."""
    if above is None:
        return "Đứng đầu bảng xếp hạng.", "Top of the ranking."
    if tied:
        return (
            "Bằng nhau ở mọi tiêu chí với bài liền trên: đồng hạng, Ban Tổ chức quyết định theo thể lệ.",
            "Equal on every key with the entry above: a tie, settled as the rules say.",
        )
    from contest.domain.ranking import sort_key

    for key in order:
        fn = sort_key((key,))
        if fn(above) != fn(entry):
            name_vi, name_en = KEY_WORDS[key]
            a_vi, a_en = _show(key, above)
            e_vi, e_en = _show(key, entry)
            return (
                f"Xếp sau bài liền trên do {name_vi}: {e_vi} so với {a_vi}.",
                f"Behind the entry above on {name_en}: {e_en} against {a_en}.",
            )
    return "", ""


@dataclass(frozen=True)
class RankRow:
    rank: int | None
    tie_group: int | None
    attempt: Attempt
    participant: Participant
    unit: Unit | None
    entry: Entry
    verdict: Verdict
    prize_vi: str
    prize_code: str | None
    why_vi: str
    why_en: str

    def as_dict(self) -> dict:
        p, a = self.participant, self.attempt
        return {
            "rank": self.rank,
            "tie_group": self.tie_group,
            "participant_id": p.id,
            "name": p.full_name,
            "unit_code": self.unit.code if self.unit else None,
            "attempt_id": a.id,
            "correct": a.correct,
            "question_count": a.question_count,
            "prediction": a.prediction,
            "prediction_error": self.entry.prediction_error,
            "duration_seconds": (a.duration_ms or 0) / 1000,
            "submitted_at": finished_at(a).isoformat(),
            "eligibility": {
                "eligible": self.verdict.eligible,
                "reason_vi": self.verdict.reason_vi,
                "reason_en": self.verdict.reason_en,
            },
            "prize": self.prize_code,
            "prize_vi": self.prize_vi,
            "why_vi": self.why_vi,
            "why_en": self.why_en,
        }


def individual_ranking(db: Session, round_: Round, data: RoundData | None = None) -> list[RankRow]:
    """Eligible entries ranked by the round's order, then the ineligible ones, each with why."""
    data = data or load_round(db, round_)
    prizes: dict[int, tuple[str, str]] = {}
    current = prize_lists.latest_list(db, data.contest.id, round_.id, "individual")
    if current is not None:
        prizes = {
            e.participant_id: (e.tier_code, e.tier_label_vi)
            for e in current.entries
            if e.participant_id
        }
    eligible = [e for e in data.entries if e.eligible]
    ranking = rank_entries(eligible, data.order) if eligible else None
    by_attempt = {a.id: a for a in data.counting.values()}
    rows: list[RankRow] = []
    above: Entry | None = None
    for r in ranking.rows if ranking else ():
        a = by_attempt[int(r.entry.entry_id)]
        tied = above is not None and r.tie_group is not None and rows[-1].tie_group == r.tie_group
        why_vi, why_en = why_here(above, r.entry, data.order, tied)
        rows.append(_row(data, a, r.entry, r.rank, r.tie_group, prizes, why_vi, why_en))
        above = r.entry
    for e in sorted((e for e in data.entries if not e.eligible), key=lambda e: int(e.entry_id)):
        a = by_attempt[int(e.entry_id)]
        v = data.verdicts[a.id]
        rows.append(
            _row(
                data,
                a,
                e,
                None,
                None,
                prizes,
                "Không hợp lệ: " + v.reason_vi,
                "Ineligible: " + v.reason_en,
            )
        )
    return rows


def _row(
    data: RoundData,
    a: Attempt,
    e: Entry,
    rank: int | None,
    tie_group: int | None,
    prizes: dict[int, tuple[str, str]],
    why_vi: str,
    why_en: str,
) -> RankRow:
    p = data.participants[a.participant_id]
    code, label = prizes.get(p.id, (None, ""))
    return RankRow(
        rank,
        tie_group,
        a,
        p,
        data.units.get(p.unit_id) if p.unit_id else None,
        e,
        data.verdicts[a.id],
        label,
        code,
        why_vi,
        why_en,
    )


# --- awards for certificates -------------------------------------------------------------------


def _achievement(contest: Contest, round_: Round | None, label_vi: str) -> str:
    where = f" — {round_.title_vi}" if round_ is not None else ""
    return f"Đã đạt {label_vi} {contest.title_vi}{where}"


def approved_awards(
    db: Session, contest_id: int, round_id: int | None = None, kind: str = "prize"
) -> list[AwardRecord]:
    """The lines of the currently approved prize list versions, or (``kind="participation"``)
    one record per eligible participant of the round, for certificates."""
    contest = db.get(Contest, contest_id)
    if contest is None:
        raise NotFound("Không tìm thấy cuộc thi.", "Contest not found.")
    rounds = {
        r.id: r for r in db.execute(select(Round).where(Round.contest_id == contest_id)).scalars()
    }
    units = unit_rows.units_by_id(db, contest_id)
    if kind == "participation":
        return _participation_awards(db, contest, rounds, units, round_id)
    if kind != "prize":
        raise ContestError(
            f"Loại giải thưởng không hợp lệ: {kind}.", f"Unknown award kind: {kind}.", field="kind"
        )
    latest = prize_lists.final_lists(db, contest_id, round_id)
    pids = {e.participant_id for pl in latest.values() for e in pl.entries if e.participant_id}
    people = (
        {p.id: p for p in db.execute(select(Participant).where(Participant.id.in_(pids))).scalars()}
        if pids
        else {}
    )
    out: list[AwardRecord] = []
    for (rid, list_kind), pl in sorted(latest.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        round_ = rounds.get(rid) if rid else None
        if list_kind == "works":
            from contest.services.works import work_awards  # a works list names works, not people

            out.extend(work_awards(db, contest, pl))
            continue
        for e in pl.entries:
            if list_kind == "collective":
                unit = units.get(e.unit_id)
                out.append(
                    AwardRecord(
                        award_key=f"prize:{e.id}",
                        contest_id=contest_id,
                        round_id=rid,
                        kind="prize",
                        recipient_kind="collective",
                        participant_id=None,
                        unit_id=e.unit_id,
                        recipient_name=unit.name if unit else "",
                        recipient_unit="",
                        tier_code=e.tier_code,
                        tier_label_vi=e.tier_label_vi,
                        achievement_vi=_achievement(contest, round_, e.tier_label_vi),
                        prize_list_version=pl.version,
                    )
                )
            else:
                p = people[e.participant_id]
                unit = units.get(p.unit_id) if p.unit_id else None
                out.append(
                    AwardRecord(
                        award_key=f"prize:{e.id}",
                        contest_id=contest_id,
                        round_id=rid,
                        kind="prize",
                        recipient_kind="individual",
                        participant_id=p.id,
                        unit_id=p.unit_id,
                        recipient_name=p.full_name,
                        recipient_unit=unit.name if unit else "",
                        tier_code=e.tier_code,
                        tier_label_vi=e.tier_label_vi,
                        achievement_vi=_achievement(contest, round_, e.tier_label_vi),
                        prize_list_version=pl.version,
                    )
                )
    return out


def _participation_awards(
    db: Session,
    contest: Contest,
    rounds: dict[int, Round],
    units: dict[int, Unit],
    round_id: int | None,
) -> list[AwardRecord]:
    chosen = (
        [rounds[round_id]]
        if round_id is not None
        else sorted(rounds.values(), key=lambda r: r.number)
    )
    out: list[AwardRecord] = []
    for r in chosen:
        if r is None or db.get(RoundResult, r.id) is None:
            continue
        data = load_round(db, r)
        for pid in sorted(data.counting):
            a = data.counting[pid]
            if not data.verdicts[a.id].eligible:
                continue
            p = data.participants[pid]
            unit = units.get(p.unit_id) if p.unit_id else None
            out.append(
                AwardRecord(
                    award_key=f"participation:{r.id}:{pid}",
                    contest_id=contest.id,
                    round_id=r.id,
                    kind="participation",
                    recipient_kind="individual",
                    participant_id=pid,
                    unit_id=p.unit_id,
                    recipient_name=p.full_name,
                    recipient_unit=unit.name if unit else "",
                    tier_code="participation",
                    tier_label_vi="Chứng nhận tham gia",
                    achievement_vi=f"Đã tham gia {contest.title_vi} — {r.title_vi}",
                )
            )
    return out
