"""Engine and session factory; SQLite gets WAL, a busy timeout and immediate transactions."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from contest import metrics
from contest.config import get_settings


def make_engine(
    url: str | None = None, *, pool_size: int | None = None, requests: bool = False
) -> Engine:
    """An engine for `url` (the settings' database by default). On PostgreSQL a connect gives
    up after db_connect_timeout_seconds and a checkout after db_pool_timeout_seconds; with
    `requests` (the web processes' engine) a statement is also cancelled by the server after
    db_statement_timeout_seconds. Job workers, migrations and the command line get no
    statement limit."""
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        metrics.watch_pool(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, object] = {"connect_timeout": settings.db_connect_timeout_seconds}
    if requests and (options := statement_limit()):
        connect_args["options"] = options
    engine = create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=settings.db_pre_ping,
        pool_recycle=1800,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args=connect_args,
    )
    if "options" in connect_args:
        _fall_back_without_options(engine)
    metrics.watch_pool(engine)
    return engine


def refuses_options(exc: Exception) -> bool:
    """A connection pooler that does not pass the statement limit on (PgBouncer answers
    "unsupported startup parameter" unless its track_extra_parameters lists statement_timeout)."""
    return "unsupported startup parameter" in str(exc)


def _fall_back_without_options(engine: Engine) -> None:
    """Connect without the statement limit where the pooler refuses it, saying so once, rather
    than fail every connection."""
    import logging

    refused = False

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, _record, cargs, cparams):
        nonlocal refused
        if not refused:
            try:
                return dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                if not refuses_options(exc):
                    raise
                refused = True
                logging.getLogger("contest.database").warning(
                    "the database (a pooler?) refuses the statement limit (%s): connecting "
                    "without it; see docs/deploy.md",
                    exc,
                )
        cparams.pop("options", None)
        return dialect.connect(*cargs, **cparams)


def statement_limit() -> str:
    """libpq's `options` that make the server cancel a statement of a web request running
    longer than db_statement_timeout_seconds; empty when the setting is 0 (no limit)."""
    ms = round(get_settings().db_statement_timeout_seconds * 1000)
    return f"-c statement_timeout={ms}" if ms > 0 else ""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE below is honoured.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY when another
        # writer got in between; taking the write lock up front makes writers queue instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None
_serving_requests = False


def serve_requests() -> None:
    """This process serves web requests: the engine it makes from the settings has the
    statement limit (`make_engine(requests=True)`); other processes' engines have none."""
    global _serving_requests
    _serving_requests = True


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(requests=_serving_requests)
    return _engine


def session_factory() -> sessionmaker[Session]:
    global _session_factory
    if _session_factory is None:
        _session_factory = sessionmaker(get_engine(), expire_on_commit=False)
    return _session_factory


def use_engine(engine: Engine | None) -> None:
    """Point the application at another engine (tests, the CLI with --database)."""
    global _engine, _session_factory
    _engine = engine
    _session_factory = sessionmaker(engine, expire_on_commit=False) if engine else None


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for one unit of work; the service inside commits, anything else rolls back."""
    session = session_factory()()
    try:
        yield session
    finally:
        session.close()


_READS_ALONE = "contest.reads_alone"


def reads_alone(db: Session) -> None:
    """Let a page that only reads run each statement on its own, without BEGIN and ROLLBACK (two
    round trips to the database, about a statement's cost each). PostgreSQL only, where a
    transaction at READ COMMITTED gives each statement a snapshot of its own anyway, and only
    for a session of its own on the engine (not one already in a transaction). A write in such
    a page calls `writes_ahead` first."""
    bind = db.bind
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not db.in_transaction():
        db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        db.info[_READS_ALONE] = True


def writes_ahead(db: Session) -> None:
    """Before a write in a page that read alone (`reads_alone`): what follows runs in a
    transaction again, as every write does (the reads so far are kept, they committed nothing)."""
    if db.info.pop(_READS_ALONE, False):
        db.commit()


_DEPTH = "contest.transaction_depth"
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def transaction(db: Session) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back when anything escapes it.

    The outermost block owns the transaction. A block inside another (a service calling a
    service) runs in a savepoint: its failure undoes its own writes only, and the outer block
    still decides whether everything is committed.
    """
    depth = db.info.get(_DEPTH, 0)
    db.info[_DEPTH] = depth + 1
    try:
        if depth:
            with db.begin_nested():
                yield db
            return
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()
    finally:
        db.info[_DEPTH] = depth


def transactional(fn: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """A service function whose whole body is one ``transaction(db)`` (db is its first argument)."""

    @functools.wraps(fn)
    def wrapper(db: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with transaction(db):
            return fn(db, *args, **kwargs)

    return wrapper
