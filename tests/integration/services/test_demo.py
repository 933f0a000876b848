from sqlalchemy import func, select

from contest.config import get_settings
from contest.models import Contest, Round, StaffUser, Unit
from contest.services.demo import load_demo


def test_demo_loads_once_and_a_second_run_changes_nothing(db):
    first = load_demo(db, get_settings().demo_dir)
    assert first.created and first.units >= 20
    snapshot = [
        db.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (Contest, Round, Unit, StaffUser)
    ]
    second = load_demo(db, get_settings().demo_dir)
    assert not second.created
    assert [
        db.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (Contest, Round, Unit, StaffUser)
    ] == snapshot


def test_demo_contest_has_four_weekly_rounds_with_the_last_one_open(db):
    from contest import clock

    load_demo(db, get_settings().demo_dir)
    contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
    rounds = sorted(contest.rounds, key=lambda r: r.number)
    assert len(rounds) == 4
    assert "Lạng Sơn" in contest.title_vi
    now = clock.now()
    assert rounds[-1].opens_at <= now < rounds[-1].closes_at
    assert all(r.closes_at <= now for r in rounds[:-1])
    names = set(db.execute(select(Unit.name).where(Unit.contest_id == contest.id)).scalars())
    for district in ("Huyện Tràng Định", "Huyện Văn Lãng", "Huyện Đình Lập", "Thành phố Lạng Sơn"):
        assert district in names


def test_demo_imports_the_four_weekly_banks_and_links_them_to_their_rounds(db):
    from contest.models import Question, QuestionBank, RoundBank

    load_demo(db, get_settings().demo_dir)
    load_demo(db, get_settings().demo_dir)
    counts = dict(
        db.execute(
            select(QuestionBank.code, func.count(Question.id))
            .join(Question, Question.bank_id == QuestionBank.id)
            .where(QuestionBank.code.like("ls2023-tuan-%"))
            .group_by(QuestionBank.code)
        ).all()
    )
    assert counts == {
        "ls2023-tuan-1": 18,
        "ls2023-tuan-2": 17,
        "ls2023-tuan-3": 16,
        "ls2023-tuan-4": 20,
    }
    contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
    links = db.execute(
        select(func.count())
        .select_from(RoundBank)
        .join(Round, Round.id == RoundBank.round_id)
        .where(Round.contest_id == contest.id)
    ).scalar_one()
    assert links == 4
