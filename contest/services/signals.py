"""Cheating signals of a round: thresholds per contest, computing and storing the clusters, the
committee's view of them and their export. The rules themselves live in contest.domain.signals."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transaction, transactional
from contest.domain.errors import ContestError, NotFound
from contest.domain.masking import mask_citizen_id
from contest.domain.paper import question_at, version_at, version_ids
from contest.domain.signals import (
    KIND_WORDS,
    AccountFacts,
    AnswerSheet,
    SaveTrace,
    SignalKind,
    SignalSettings,
    StartEvent,
    round_signals,
    settings_from,
    settings_spec,
)
from contest.models import (
    Answer,
    Attempt,
    EligibilityDecision,
    Participant,
    Round,
    SignalCluster,
    SignalRun,
    SignalSettingsRecord,
    Unit,
    WebSession,
)
from contest.repositories import units as unit_rows
from contest.services import audit
from contest.services.attempt_scoring import version_keys
from contest.services.context import Actor

# --- settings ------------------------------------------------------------------------------


def settings_for(db: Session, contest_id: int) -> SignalSettings:
    row = db.get(SignalSettingsRecord, contest_id)
    return settings_from(row.spec if row else None)


@transactional
def save_settings(
    db: Session, actor: Actor, contest_id: int, values: Mapping[str, object]
) -> SignalSettings:
    """Store the contest's thresholds; every bad value is refused at once, by field."""
    settings = settings_from(values)
    row = db.get(SignalSettingsRecord, contest_id)
    before = row.spec if row else None
    spec = settings_spec(settings)
    if row is None:
        row = SignalSettingsRecord(contest_id=contest_id, spec=spec)
        db.add(row)
    row.spec = spec
    row.updated_at = clock.now()
    row.updated_by = actor.audit_name[:120]
    db.flush()
    audit.record(
        db, actor, "signals.settings", "contest", contest_id, {"before": before, "after": spec}
    )
    return settings


# --- computing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInputs:
    sheets: list[AnswerSheet]
    traces: list[SaveTrace]
    starts: list[StartEvent]
    accounts: list[AccountFacts]


def load_inputs(db: Session, round_: Round) -> RoundInputs:
    """Everything the signals read about a round's final attempts, in a few plain queries."""
    attempts = list(
        db.execute(
            select(
                Attempt.id,
                Attempt.participant_id,
                Attempt.paper,
                Attempt.started_at,
                Attempt.start_ip,
                Attempt.start_device,
            ).where(Attempt.round_id == round_.id, Attempt.finalised_at.is_not(None))
        )
    )
    papers = {a.id: a.paper for a in attempts}
    keys = version_keys(db, version_ids(a.paper for a in attempts), round_.id)
    chosen: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    saved: dict[int, list[datetime]] = defaultdict(list)
    rows = db.execute(
        select(Answer.attempt_id, Answer.position, Answer.chosen, Answer.saved_at)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.round_id == round_.id, Attempt.finalised_at.is_not(None))
        .execution_options(yield_per=10_000)
    )
    for attempt_id, position, options, saved_at in rows:
        paper = papers[attempt_id]
        if not options or position >= len(paper):
            continue
        picked = frozenset(str(o) for o in options)
        chosen[attempt_id].append(
            (
                question_at(paper, position),
                ",".join(sorted(picked)),
                picked == keys.get(version_at(paper, position)),
            )
        )
        saved[attempt_id].append(saved_at)
    sheets = [AnswerSheet(a.id, a.participant_id, tuple(chosen[a.id])) for a in attempts]
    traces = [SaveTrace(a.id, a.participant_id, a.started_at, tuple(saved[a.id])) for a in attempts]
    starts = [
        StartEvent(a.id, a.participant_id, a.started_at, a.start_ip or "", a.start_device or "")
        for a in attempts
    ]
    return RoundInputs(
        sheets, traces, starts, _accounts(db, {a.participant_id for a in attempts}, starts)
    )


def _accounts(
    db: Session, participant_ids: set[int], starts: Sequence[StartEvent]
) -> list[AccountFacts]:
    """Each account with where it registered (its first session) and every device it used."""
    if not participant_ids:
        return []
    devices: dict[int, set[str]] = defaultdict(set)
    for s in starts:
        if s.device:
            devices[s.participant_id].add(s.device)
    first: dict[int, tuple[datetime, str, str]] = {}
    ids = sorted(participant_ids)
    for lo in range(0, len(ids), 5000):
        for pid, created, ip, device in db.execute(
            select(
                WebSession.participant_id,
                WebSession.created_at,
                WebSession.ip,
                WebSession.device,
            ).where(WebSession.participant_id.in_(ids[lo : lo + 5000]))
        ):
            if device:
                devices[pid].add(device)
            if pid not in first or created < first[pid][0]:
                first[pid] = (created, ip, device)
    accounts = []
    for lo in range(0, len(ids), 5000):
        for p in db.execute(
            select(
                Participant.id,
                Participant.full_name,
                Participant.citizen_id,
                Participant.phone,
                Participant.email,
                Participant.registered_at,
                Participant.registered_ip,
                Participant.registered_device,
            ).where(Participant.id.in_(ids[lo : lo + 5000]))
        ):
            created, ip, device = first.get(p.id, (p.registered_at, "", ""))
            # The registration's own record, else (accounts older than it) a session opened at
            # registration: only those tell where the account was registered.
            at_registration = abs((created - p.registered_at).total_seconds()) < 60
            registered_ip = p.registered_ip or (ip if at_registration else "")
            registered_device = p.registered_device or (device if at_registration else "")
            if p.registered_device:
                devices[p.id].add(p.registered_device)
            accounts.append(
                AccountFacts(
                    participant_id=p.id,
                    full_name=p.full_name,
                    citizen_id=p.citizen_id,
                    phone=p.phone,
                    email=p.email,
                    registered_at=p.registered_at,
                    registered_address=registered_ip,
                    registered_device=registered_device,
                    devices=frozenset(devices.get(p.id, ())),
                )
            )
    return accounts


@transactional
def compute(db: Session, actor: Actor, round_: Round) -> SignalRun:
    """Compute every signal of the round and store the clusters as a new run.

    Long for a large round (minutes for 300,000 attempts): run it from the command line
    (`contest signals compute`) or a background job, not inside a web request."""
    settings = settings_for(db, round_.contest_id)
    started = time.perf_counter()
    inputs = load_inputs(db, round_)
    result = round_signals(inputs.sheets, inputs.traces, inputs.starts, inputs.accounts, settings)
    seconds = time.perf_counter() - started
    s = result.similarity
    run = SignalRun(
        contest_id=round_.contest_id,
        round_id=round_.id,
        computed_at=clock.now(),
        computed_by=actor.audit_name[:120],
        seconds=round(seconds, 2),
        settings=settings_spec(settings),
        stats={
            "entries": s.attempts,
            "candidate_pairs": s.candidate_pairs,
            "skipped_buckets": s.skipped_buckets,
            "band": s.band,
            "clusters": len(result.clusters),
            "accounts": len({p for c in result.clusters for p in c.participant_ids}),
        },
    )
    db.add(run)
    db.flush()
    db.add_all(
        SignalCluster(
            run_id=run.id,
            position=i,
            score=c.score,
            kinds=[k.value for k in c.kinds],
            participant_ids=list(c.participant_ids),
            attempt_ids=list(c.attempt_ids),
            reason_vi=c.reason_vi,
            reason_en=c.reason_en,
            evidence=[
                {
                    "kind": e.kind.value,
                    "participant_ids": list(e.participant_ids),
                    "attempt_ids": list(e.attempt_ids),
                    "score": e.score,
                    "message_vi": e.message_vi,
                    "message_en": e.message_en,
                    "detail": dict(e.detail),
                }
                for e in c.evidence
            ],
        )
        for i, c in enumerate(result.clusters, start=1)
    )
    audit.record(db, actor, "signals.compute", "round", round_.id, {"run": run.id, **run.stats})
    return run


COMPUTE_JOB = "signals.compute"


def start_compute_job(db: Session, actor: Actor, round_: Round):
    """Queue the computation from the committee's page: minutes for a large round, so a worker
    does it and the job page shows its progress."""
    from contest.services import jobs

    with transaction(db):
        running = jobs.active_job(db, COMPUTE_JOB, round_.contest_id)
        if running is not None and running.params.get("round_id") == round_.id:
            raise ContestError(
                "Dấu hiệu của đợt này đang được tính.",
                "The signals of this round are already being computed.",
            )
        job = jobs.create(
            db, actor, COMPUTE_JOB, contest_id=round_.contest_id, params={"round_id": round_.id}
        )
        audit.record(db, actor, "signals.job", "job", job.id, {"round": round_.id})
    jobs.dispatch(job.id)  # after the commit: a worker must find the row
    return job


def run_compute(db: Session, job, progress):
    """The compute job: one run, stored in one transaction like the command's."""
    from contest.services import jobs

    round_ = db.get(Round, job.params["round_id"])
    if round_ is None:
        raise NotFound("Không có đợt thi này.", "There is no such round.")
    progress.commit(total=1, done=0)
    run = compute(db, jobs.actor_of(job), round_)
    progress.report(done=1)
    return jobs.Outcome(
        f"Đã tính: {run.stats['entries']} bài, {run.stats['clusters']} cụm.",
        f"Computed: {run.stats['entries']} entries, {run.stats['clusters']} clusters.",
    )


# --- reading -------------------------------------------------------------------------------


def latest_run(db: Session, round_: Round) -> SignalRun | None:
    return db.execute(
        select(SignalRun)
        .where(SignalRun.round_id == round_.id)
        .order_by(SignalRun.computed_at.desc(), SignalRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def clusters_of(db: Session, run: SignalRun) -> list[SignalCluster]:
    return list(
        db.execute(
            select(SignalCluster)
            .where(SignalCluster.run_id == run.id)
            .order_by(SignalCluster.position)
        ).scalars()
    )


@dataclass(frozen=True)
class Member:
    participant: Participant
    unit: Unit | None
    masked_citizen_id: str
    attempt_ids: tuple[int, ...]  # the person's attempts in the round
    decisions: tuple[EligibilityDecision, ...]  # on the person, oldest first

    @property
    def decision(self) -> EligibilityDecision | None:
        return self.decisions[-1] if self.decisions else None


@dataclass(frozen=True)
class ClusterView:
    cluster: SignalCluster
    members: tuple[Member, ...]

    @property
    def undecided(self) -> int:
        return sum(1 for m in self.members if m.decision is None)

    def kind_words(self, lang: str) -> list[str]:
        return [KIND_WORDS[SignalKind(k)][0 if lang == "vi" else 1] for k in self.cluster.kinds]


def cluster_views(
    db: Session, round_: Round, clusters: Sequence[SignalCluster]
) -> list[ClusterView]:
    """Clusters with their members' names, units and the committee's decisions on each person."""
    ids = {pid for c in clusters for pid in c.participant_ids}
    people = {
        p.id: p for p in db.execute(select(Participant).where(Participant.id.in_(ids))).scalars()
    }
    units = unit_rows.units_by_id(db, round_.contest_id)
    decided: dict[int, list[EligibilityDecision]] = defaultdict(list)
    for d in db.execute(
        select(EligibilityDecision)
        .where(
            EligibilityDecision.contest_id == round_.contest_id,
            EligibilityDecision.subject_kind == "participant",
            EligibilityDecision.subject_id.in_(ids),
        )
        .order_by(EligibilityDecision.decided_at, EligibilityDecision.id)
    ).scalars():
        decided[d.subject_id].append(d)
    attempts_of: dict[int, list[int]] = defaultdict(list)
    for attempt_id, participant_id in db.execute(
        select(Attempt.id, Attempt.participant_id)
        .where(Attempt.round_id == round_.id, Attempt.participant_id.in_(ids))
        .order_by(Attempt.id)
    ):
        attempts_of[participant_id].append(attempt_id)
    views = []
    for c in clusters:
        members = []
        for pid in c.participant_ids:
            p = people.get(pid)
            if p is None:
                continue
            members.append(
                Member(
                    participant=p,
                    unit=units.get(p.unit_id) if p.unit_id else None,
                    masked_citizen_id=mask_citizen_id(p.citizen_id),
                    attempt_ids=tuple(attempts_of.get(pid, ())),
                    decisions=tuple(decided.get(pid, ())),
                )
            )
        views.append(ClusterView(c, tuple(members)))
    return views


def find_cluster(db: Session, round_: Round, cluster_id: int) -> SignalCluster | None:
    cluster = db.get(SignalCluster, cluster_id)
    if cluster is None:
        return None
    run = db.get(SignalRun, cluster.run_id)
    return cluster if run is not None and run.round_id == round_.id else None


# --- export --------------------------------------------------------------------------------

SIGNAL_HEADERS = (
    "Cụm",
    "Độ mạnh",
    "Lý do",
    "Reason",
    "Mã thí sinh",
    "Họ và tên",
    "Số CCCD",
    "Đơn vị",
    "Bài thi trong đợt",
    "Bằng chứng",
    "Kết luận của Ban Giám khảo",
    "Lý do kết luận",
    "Người quyết định",
    "Thời điểm",
)


def clusters_xlsx(db: Session, round_: Round) -> bytes:
    """The latest run's clusters for the committee's file: one row per member, with the
    evidence and the decision on the person as it stands."""
    from contest.services import exports

    run = latest_run(db, round_)
    views = cluster_views(db, round_, clusters_of(db, run)) if run else []
    rows = []
    for view in views:
        c = view.cluster
        evidence = "\n".join(e["message_vi"] for e in c.evidence)
        for m in view.members:
            d = m.decision
            rows.append(
                (
                    c.position,
                    c.score,
                    c.reason_vi,
                    c.reason_en,
                    m.participant.id,
                    m.participant.full_name,
                    m.masked_citizen_id,
                    m.unit.name if m.unit else "",
                    ", ".join(f"#{a}" for a in m.attempt_ids),
                    evidence,
                    "Chờ quyết định" if d is None else ("Hợp lệ" if d.eligible else "Không hợp lệ"),
                    d.reason if d else "",
                    d.decided_by if d else "",
                    clock.to_local(d.decided_at).strftime("%d/%m/%Y %H:%M") if d else "",
                )
            )
    return exports._book("Dấu hiệu gian lận", SIGNAL_HEADERS, rows)
