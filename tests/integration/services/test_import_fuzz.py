"""Mutated files through the import services on SQLite and PostgreSQL: a file with any error
writes nothing (no bank, question, version, unit or audit row), and no entity is expanded."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from contest.models import AuditEntry, Question, QuestionBank, QuestionVersion, Unit
from contest.services import banks, units
from contest.services.context import SYSTEM
from tests.conftest import random_suffix
from tests.factories import make_contest
from tests.unit.importers.test_fuzz import FUZZ, MARKER, SEEDS, UNIT_SEEDS, mutated_file

DB_FUZZ = settings(
    FUZZ,
    max_examples=max(10, FUZZ.max_examples // 4),
    suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture],
)
TABLES = (QuestionBank, Question, QuestionVersion, Unit, AuditEntry)


def _counts(db) -> tuple[int, ...]:
    return tuple(db.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES)


@st.composite
def any_bank_file(draw) -> tuple[str, bytes]:
    extension = draw(st.sampled_from(sorted(SEEDS)))
    return extension, draw(mutated_file(SEEDS[extension], extension in (".xlsx", ".docx")))


@DB_FUZZ
@given(file=any_bank_file())
def test_a_mutated_bank_file_is_imported_whole_or_not_at_all(db, file):
    extension, data = file
    before = _counts(db)
    report = banks.import_questions(db, SYSTEM, "fuzz", [("fuzz" + extension, data)])
    after = _counts(db)
    if not report.ok:
        assert after == before
    else:
        assert after[1] - before[1] == report.imported
    stems = db.execute(select(QuestionVersion.stem)).scalars().all()
    assert not any(MARKER in s for s in stems)


@DB_FUZZ
@given(
    file=st.sampled_from(sorted(UNIT_SEEDS)).flatmap(
        lambda ext: st.tuples(st.just(ext), mutated_file(UNIT_SEEDS[ext], ext == ".xlsx"))
    )
)
def test_a_mutated_unit_file_is_imported_whole_or_not_at_all(db, file):
    extension, data = file
    contest = make_contest(db, "fuzz-" + random_suffix(), with_units=False)
    before = _counts(db)
    result = units.import_units(db, SYSTEM, contest, data, "units" + extension)
    after = _counts(db)
    if result.errors:
        assert after == before
    names = db.execute(select(Unit.name).where(Unit.contest_id == contest.id)).scalars().all()
    assert not any(MARKER in n for n in names)
