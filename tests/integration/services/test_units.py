from factories import make_contest
from sqlalchemy import func, select

from contest.models import AuditEntry, Unit
from contest.services import units
from contest.services.context import SYSTEM

GOOD = (
    "code,name,parent_code,headcount\n"
    "LS-CQ,Khối cơ quan cấp tỉnh,LS,\n"
    "LS-STTTT,Sở Thông tin và Truyền thông,LS-CQ,72\n"
).encode()


def counts(db):
    return (
        db.execute(select(func.count()).select_from(Unit)).scalar_one(),
        db.execute(select(func.count()).select_from(AuditEntry)).scalar_one(),
    )


def test_good_file_adds_units_under_existing_parents_and_is_audited(db):
    contest = make_contest(db)
    before_units, before_audit = counts(db)
    result = units.import_units(db, SYSTEM, contest, GOOD, "units.csv")
    assert result.ok and result.created == 2
    tree = units.unit_tree(db, contest.id)
    by_code = {n.unit.code: n for n in tree}
    assert by_code["LS-STTTT"].depth == 2 and by_code["LS-STTTT"].unit.headcount == 72
    assert counts(db) == (before_units + 2, before_audit + 1)


def test_bad_file_leaves_the_database_unchanged(db):
    contest = make_contest(db)
    before = counts(db)
    bad = GOOD + "LS-X,Đơn vị X,KHONG-CO,\n".encode()
    result = units.import_units(db, SYSTEM, contest, bad, "units.csv")
    assert not result.ok and result.errors[0].row == 4
    assert counts(db) == before


def test_reimport_updates_names_and_headcounts_by_code(db):
    contest = make_contest(db)
    units.import_units(db, SYSTEM, contest, GOOD, "units.csv")
    changed = GOOD.replace(b",72", b",80")
    result = units.import_units(db, SYSTEM, contest, changed, "units.csv")
    assert (result.created, result.updated) == (0, 2)
    unit = db.execute(select(Unit).where(Unit.code == "LS-STTTT")).scalar_one()
    assert unit.headcount == 80


def test_dry_run_writes_nothing(db):
    contest = make_contest(db)
    before = counts(db)
    result = units.import_units(db, SYSTEM, contest, GOOD, "units.csv", dry_run=True)
    assert result.ok and result.created == 2
    assert counts(db) == before


def test_selectable_is_imported_kept_without_the_column_and_read_by_the_tree(db):
    contest = make_contest(db, "cho-chon")
    marked = "code,name,parent_code,selectable\nLS-TP,Thành phố Lạng Sơn,LS,có\n".encode()
    assert units.import_units(db, SYSTEM, contest, marked, "u.csv").ok
    tree = {n.unit.code: n for n in units.unit_tree(db, contest.id)}
    assert tree["LS-TP"].unit.selectable and tree["LS-TP"].registrable
    assert not tree["LS"].registrable and tree["LS-TP-CL"].registrable
    # A later file without the column leaves the mark alone.
    plain = "code,name,parent_code\nLS-TP,Thành phố Lạng Sơn,LS\n".encode()
    assert units.import_units(db, SYSTEM, contest, plain, "u2.csv").ok
    assert {n.unit.code: n for n in units.unit_tree(db, contest.id)}["LS-TP"].registrable
