"""Cheating signals on a real database: the planted scenario written as attempts, answers and
sessions, computed by the service, stored, read back with the committee's decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_staff
from sqlalchemy import insert, select

from bench.signals_population import scenario
from contest import clock
from contest.domain.errors import InvalidInput
from contest.models import (
    Answer,
    Attempt,
    AuditEntry,
    Participant,
    SignalCluster,
    Unit,
    WebSession,
)
from contest.services import screening, signals
from contest.services.context import SYSTEM, Actor


def write_population(db, contest, round_, population):
    """The simulated round as rows: one bank question per simulated question, option k + 1 for
    the simulated choice k (option 1 is right), sessions where accounts registered."""
    questions = sorted({q for s in population.sheets for q, _, _ in s.answers})
    versions = make_bank(db, "tin-hieu", len(questions))
    by_question = dict(zip(questions, versions, strict=True))
    unit_id = db.execute(
        select(Unit.id).where(Unit.contest_id == contest.id, Unit.code == "LS-TP")
    ).scalar()
    now = clock.now()
    pid_of = {}
    for a in population.accounts:
        row = Participant(
            contest_id=contest.id,
            full_name=a.full_name,
            date_of_birth=now.date(),
            gender="male",
            citizen_id=a.citizen_id,
            phone=a.phone,
            email=a.email,
            unit_id=unit_id,
            password_hash="x",
            consent_version="test",
            consent_at=a.registered_at,
            registered_at=a.registered_at,
        )
        db.add(row)
        db.flush()
        pid_of[a.participant_id] = row.id
        db.add(
            WebSession(
                token_hash=f"{row.id:064d}",
                participant_id=row.id,
                created_at=a.registered_at,
                last_seen_at=a.registered_at,
                expires_at=a.registered_at + timedelta(days=14),
                ip=a.registered_address,
                device=a.registered_device,
            )
        )
    shift = round_.opens_at - min(s.started_at for s in population.starts)
    traces = {t.attempt_id: t for t in population.traces}
    starts = {s.attempt_id: s for s in population.starts}
    answer_rows = []
    for sheet in population.sheets:
        start = starts[sheet.attempt_id]
        paper = [
            {"q": by_question[q].question_id, "v": by_question[q].id, "o": [1, 2, 3, 4]}
            for q, _, _ in sheet.answers
        ]
        attempt = Attempt(
            round_id=round_.id,
            participant_id=pid_of[sheet.participant_id],
            number=1,
            started_at=start.started_at + shift,
            deadline_at=start.started_at + shift + timedelta(hours=1),
            grace_seconds=30,
            paper=paper,
            question_count=len(paper),
            submitted_at=traces[sheet.attempt_id].saved_at[-1] + shift,
            finalised_at=traces[sheet.attempt_id].saved_at[-1] + shift,
            finish_reason="submitted",
            correct=sum(ok for _, _, ok in sheet.answers),
            answered=len(paper),
            start_ip=start.address,
            start_device=start.device,
        )
        db.add(attempt)
        db.flush()
        for position, ((_, choice, _), saved) in enumerate(
            zip(sheet.answers, traces[sheet.attempt_id].saved_at, strict=True)
        ):
            option = int(choice.rsplit("-", 1)[1]) + 1
            answer_rows.append(
                {
                    "attempt_id": attempt.id,
                    "position": position,
                    "chosen": [option],
                    "client_seq": position + 1,
                    "saved_at": saved + shift,
                }
            )
    db.execute(insert(Answer), answer_rows)
    db.commit()
    return pid_of


@pytest.fixture
def planted(db):
    contest = make_contest(db, "gian-lan")
    round_ = contest.rounds[0]
    population = scenario(honest=2000, seed=7)
    pid_of = write_population(db, contest, round_, population)
    return contest, round_, population, pid_of


def test_the_planted_round_is_flagged_through_the_database_and_stored(db, planted):
    contest, round_, population, pid_of = planted
    run = signals.compute(db, SYSTEM, round_)
    clusters = signals.clusters_of(db, run)
    flagged = {p for c in clusters for p in c.participant_ids}
    for case, members in population.planted.items():
        assert {pid_of[m] for m in members} <= flagged, case
    honest = {pid_of[p] for p in population.honest}
    assert len(flagged & honest) < 0.01 * len(honest)
    assert run.stats["entries"] == len(population.sheets)
    assert signals.latest_run(db, round_).id == run.id
    ring = next(c for c in clusters if pid_of[min(population.planted["ring"])] in c.participant_ids)
    assert "shared_sheet" in ring.kinds
    sheet = next(e for e in ring.evidence if e["kind"] == "shared_sheet")
    assert sheet["detail"]["sheet_wrong_choices"]
    assert ring.reason_vi.startswith("5 tài khoản")
    assert db.execute(
        select(AuditEntry).where(AuditEntry.action == "signals.compute")
    ).scalar_one_or_none()


def test_members_show_the_committee_decision_taken_through_the_screening_trail(db, planted):
    contest, round_, population, pid_of = planted
    run = signals.compute(db, SYSTEM, round_)
    device_ids = sorted(pid_of[p] for p in population.planted["device"])
    cluster = next(c for c in signals.clusters_of(db, run) if device_ids[0] in c.participant_ids)
    staff = make_staff(db, "giamkhao-th", ["committee_member"])
    actor = Actor("staff", staff.id, staff.username, "127.0.0.1")
    screening.decide_many(
        db, actor, round_, device_ids[:2], [], False, "Một người dùng CCCD của người thân."
    )
    view = signals.cluster_views(db, round_, [cluster])[0]
    by_id = {m.participant.id: m for m in view.members}
    assert by_id[device_ids[0]].decision.eligible is False
    assert by_id[device_ids[0]].decision.reason == "Một người dùng CCCD của người thân."
    assert by_id[device_ids[2]].decision is None
    assert view.undecided == 1
    assert all(m.masked_citizen_id.startswith("*") for m in view.members)
    assert by_id[device_ids[0]].attempt_ids  # the member's own attempts


def test_thresholds_are_stored_per_contest_audited_and_refused_when_bad(db):
    contest = make_contest(db, "nguong")
    other = make_contest(db, "nguong-khac")
    saved = signals.save_settings(db, SYSTEM, contest.id, {"device_accounts": "3"})
    assert saved.device_accounts == 3
    assert signals.settings_for(db, contest.id).device_accounts == 3
    assert signals.settings_for(db, other.id).device_accounts == 2
    with pytest.raises(InvalidInput):
        signals.save_settings(db, SYSTEM, contest.id, {"device_accounts": "một"})
    assert signals.settings_for(db, contest.id).device_accounts == 3
    assert db.execute(
        select(AuditEntry).where(AuditEntry.action == "signals.settings")
    ).scalar_one_or_none()


def test_an_empty_round_computes_to_no_clusters(db):
    contest = make_contest(db, "trong")
    run = signals.compute(db, SYSTEM, contest.rounds[0])
    assert run.stats["clusters"] == 0
    assert db.execute(select(SignalCluster)).first() is None
