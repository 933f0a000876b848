"""The unit of work: `transaction(db)` commits, rolls back on any exception, nests in savepoints."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transaction, transactional
from contest.models import StaffUser


def _add(db: Session, username: str) -> None:
    db.add(
        StaffUser(username=username, full_name=username, password_hash="x", created_at=clock.now())
    )
    db.flush()


def _names(db: Session) -> set[str]:
    return set(
        db.execute(select(StaffUser.username).where(StaffUser.username.like("uow-%"))).scalars()
    )


def test_a_block_that_ends_normally_is_committed(db: Session):
    with transaction(db):
        _add(db, "uow-kept")
    db.rollback()  # would drop anything left uncommitted
    assert _names(db) == {"uow-kept"}


def test_any_exception_rolls_the_block_back_and_leaves_the_session_usable(db: Session):
    with pytest.raises(KeyError), transaction(db):
        _add(db, "uow-lost")
        raise KeyError("boom")
    assert _names(db) == set()
    with transaction(db):
        _add(db, "uow-after")
    assert _names(db) == {"uow-after"}


def test_an_inner_block_commits_nothing_itself(db: Session):
    with pytest.raises(RuntimeError), transaction(db):
        with transaction(db):
            _add(db, "uow-inner")
        raise RuntimeError("the outer block fails after the inner one ended")
    assert _names(db) == set()


def test_an_inner_failure_undoes_only_the_inner_writes(db: Session):
    with transaction(db):
        _add(db, "uow-outer")
        with pytest.raises(ValueError), transaction(db):
            _add(db, "uow-inner")
            raise ValueError("inner")
    db.rollback()
    assert _names(db) == {"uow-outer"}


def test_transactional_wraps_a_service_function(db: Session):
    @transactional
    def create(db: Session, username: str, *, fail: bool = False) -> str:
        _add(db, username)
        if fail:
            raise LookupError(username)
        return username

    assert create(db, "uow-made") == "uow-made"
    with pytest.raises(LookupError):
        create(db, "uow-refused", fail=True)
    db.rollback()
    assert _names(db) == {"uow-made"}


def _autocommit(db: Session) -> bool:
    return bool(getattr(db.connection().connection.dbapi_connection, "autocommit", False))


def test_a_page_that_reads_alone_runs_without_a_transaction_until_it_writes(engine):
    """`reads_alone` (PostgreSQL: no BEGIN and ROLLBACK around a page's reads); `writes_ahead`
    puts the page's first write in a transaction, and the pool's connection is handed back as
    it was taken."""
    from sqlalchemy import text

    from contest.db import reads_alone, writes_ahead

    postgres = engine.dialect.name == "postgresql"
    with Session(engine) as db:
        reads_alone(db)
        assert db.execute(text("SELECT 1")).scalar_one() == 1
        assert _autocommit(db) is postgres
        if postgres:  # no BEGIN: nothing held open on the server between statements
            from psycopg.pq import TransactionStatus

            status = db.connection().connection.dbapi_connection.info.transaction_status
            assert status == TransactionStatus.IDLE
        writes_ahead(db)
        assert not _autocommit(db)  # the write's transaction
        db.execute(text("SELECT 1"))
        if postgres:  # BEGIN was sent: the server holds a transaction open for the session
            from psycopg.pq import TransactionStatus

            status = db.connection().connection.dbapi_connection.info.transaction_status
            assert status == TransactionStatus.INTRANS
        writes_ahead(db)  # a second call changes nothing
        assert not _autocommit(db)
        db.rollback()
    with Session(engine) as db:  # the next request's connection, from the same pool
        assert not _autocommit(db)
    with Session(engine) as db, transaction(db):  # inside a transaction already: left as it is
        db.execute(text("SELECT 1"))
        reads_alone(db)
        assert not _autocommit(db)


def test_a_session_on_a_connection_in_a_transaction_is_left_as_it_is(db: Session):
    from contest.db import reads_alone

    reads_alone(db)  # the tests' session: bound to a connection in an outer transaction
    assert not _autocommit(db)
