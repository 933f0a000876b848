"""Each kind of news is produced once, for the people it concerns, with the contest's name:
registration, round opens, round closes within 24 h (unfinished only), results, certificates."""

from datetime import timedelta

from factories import (
    make_award,
    make_bank,
    make_contest,
    make_final_attempt,
    make_participant,
    registration,
)
from sqlalchemy import select

from contest import clock
from contest.models import Notice, PrizeList
from contest.services import accounts, certificates, message_schedule
from contest.services.context import SYSTEM, Actor


def _people(db, contest):
    """One who agreed to news by email, one by SMS-less phone only, one who did not agree."""
    email = accounts.register_participant(
        db,
        contest,
        registration(email="tin@example.vn", messages_consent=True),
        ip="10.0.0.1",
    )
    silent = make_participant(
        db,
        contest,
        citizen_id="020085000321",
        phone="0987000321",
        date_of_birth="02/01/1985",
        gender="male",
        email="khong@example.vn",
    )
    return email, silent


def _notices(db, kind):
    return list(db.execute(select(Notice).where(Notice.kind == kind)).scalars())


def test_registration_confirmation_needs_consent_and_comes_once(db):
    contest = make_contest(db)
    consenting, silent = _people(db, contest)
    [confirmed] = _notices(db, "registration_confirmed")
    assert confirmed.participant_id == consenting.id and confirmed.channel == "email"
    assert "Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn" in confirmed.message_vi
    assert "Digital transformation contest of Lạng Sơn province" in confirmed.message_en
    assert "/messages/unsubscribe/" in confirmed.message_vi
    assert consenting.messages_consent and not silent.messages_consent


def test_round_opens_and_closes_reach_the_right_people_once(db):
    contest = make_contest(db)
    consenting, silent = _people(db, contest)
    clock.shift(timedelta(hours=-23))  # the round opened an hour ago
    for _ in range(2):
        message_schedule.queue_due_news(db)
    [opens] = _notices(db, "round_opens")
    assert opens.participant_id == consenting.id
    assert "Tuần 1 đã mở" in opens.message_vi and "Week 1 is open" in opens.message_en
    assert _notices(db, "round_closing") == []
    clock.reset()
    clock.shift(timedelta(days=5, hours=12))  # the round closes in 12 hours
    finished = accounts.register_participant(
        db,
        contest,
        registration(
            citizen_id="020190000555",
            phone="0987000555",
            email="xong@example.vn",
            messages_consent=True,
        ),
        ip="10.0.0.2",
    )
    versions = make_bank(db, questions=5)
    make_final_attempt(db, contest.rounds[0], finished, versions, correct=5)
    for _ in range(2):
        message_schedule.queue_due_news(db)
    [closing] = _notices(db, "round_closing")
    assert closing.participant_id == consenting.id
    assert "bạn chưa hoàn thành bài thi" in closing.message_vi
    assert len(_notices(db, "round_opens")) == 1  # opened days ago: old news


def test_results_published_and_certificate_ready_are_announced_once(db):
    contest = make_contest(db)
    consenting, silent = _people(db, contest)
    clock.shift(timedelta(days=7))  # the round is over
    db.add(
        PrizeList(
            contest_id=contest.id,
            kind="individual",
            version=1,
            status="published",
            created_at=clock.now(),
            created_by="test",
            published_at=clock.now(),
            published_by="test",
        )
    )
    db.commit()
    award = make_award(contest, "prize:1", consenting.full_name, participant_id=consenting.id)
    other = make_award(contest, "prize:2", silent.full_name, participant_id=silent.id)
    issued = certificates.issue_certificates(db, Actor("staff", 1, "chair"), [award, other])
    for _ in range(2):
        report = message_schedule.queue_due_news(db)
    assert not any(report.counts.values())  # the second run queued nothing
    [results] = _notices(db, "results_published")
    assert results.participant_id == consenting.id and "/results" in results.message_vi
    [ready] = _notices(db, "certificate_ready")
    mine = next(c for c in issued.issued if c.participant_id == consenting.id)
    assert ready.participant_id == consenting.id
    assert mine.code in ready.message_vi and mine.verification_url in ready.message_en
    assert ready.dedupe_key == f"certificate_ready:{mine.id}"
    assert SYSTEM  # the schedule needs no actor: it only queues messages
