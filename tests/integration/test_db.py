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
