from sqlalchemy import func, select

from contest.config import get_settings
from contest.models import Contest, Round, StaffUser, Unit
from contest.services.demo import load_demo


def test_demo_loads_once_and_a_second_run_changes_nothing(db):
    first = load_demo(db, get_settings().demo_dir)
    assert first.created and first.units >= 20
    snapshot = [db.execute(select(func.count()).select_from(t)).scalar_one() for t in (Contest, Round, Unit, StaffUser)]
    second = load_demo(db, get_settings().demo_dir)
    assert not second.created
    assert [db.execute(select(func.count()).select_from(t)).scalar_one() for t in (Contest, Round, Unit, StaffUser)] == snapshot


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
