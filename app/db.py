"""The one place that builds the engine and sessions, and the declarative base."""

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; all datetimes must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations get stable names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        list[Any]: JSON,
    }


log = logging.getLogger(__name__)

# Execution option marking an engine whose transactions only read: on SQLite they begin
# deferred (never waiting for a writer) and refuse writes; on PostgreSQL they are READ ONLY.
READ_ONLY = "kakehashi_read_only"
# Execution option: how long (ms) a SQLite transaction waits for the write lock before it
# gives up with "database is locked". SQLite's busy handler retries within that time.
BUSY_WAIT_MS = "kakehashi_busy_wait_ms"
# Execution option: commit without waiting for the write-ahead log to reach disk (PostgreSQL).
# For best-effort writes only: losing the last one in a crash costs nothing, and a request
# never waits on a slow disk for a write nobody asked for.
LAZY_COMMIT = "kakehashi_lazy_commit"
# Requests, jobs and the CLI wait this long for the write lock; past it a request answers 503.
WRITE_WAIT_MS = 15_000
# Best-effort writes (the "last used" touch of a key or a browser session) wait this long.
TOUCH_WAIT_MS = 100
# SQLSTATEs of PostgreSQL errors that mean "busy, try again": serialization failure,
# deadlock, lock not available (lock_timeout), query canceled (statement_timeout).
_PG_BUSY = {"40001", "40P01", "55P03", "57014"}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def build_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": WRITE_WAIT_MS / 1000}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; take it over so that
            # SAVEPOINTs and BEGIN IMMEDIATE behave.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A transaction that reads and then writes fails at once ("database is locked")
            # if another writer committed in between, whatever the busy timeout. So work
            # that may write takes the write lock up front (SQLite's busy handler retries
            # for up to the busy wait); only read-only sessions begin deferred, and those
            # refuse to write at all (query_only), so a GET can never hit that failure.
            options = conn.get_execution_options()
            read_only = bool(options.get(READ_ONLY))
            wait = int(options.get(BUSY_WAIT_MS, WRITE_WAIT_MS))
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {wait}")
            conn.exec_driver_sql(f"PRAGMA query_only = {int(read_only)}")
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)

    @event.listens_for(engine, "begin")
    def _postgres_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        if BUSY_WAIT_MS in options:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(options[BUSY_WAIT_MS])}")
        if options.get(LAZY_COMMIT):
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")

    return engine


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return build_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    """Sessions for work that may write (on SQLite each transaction takes the write lock)."""
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@lru_cache
def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions for reading only (GET requests): on SQLite they never wait for a writer."""
    return sessionmaker(
        bind=get_engine().execution_options(**{READ_ONLY: True}), expire_on_commit=False
    )


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means another transaction holds what we need: retry later."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_BUSY:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database is busy" in message


@contextmanager
def best_effort() -> Iterator[Session]:
    """A short write transaction that is skipped, not failed, when the lock is not free at once.

    For writes nobody waits on (the last use of a key or a browser session): the caller's
    request goes on whether or not the write happened, and does not wait for it to reach
    the disk."""
    session = Session(
        bind=get_engine().execution_options(**{BUSY_WAIT_MS: TOUCH_WAIT_MS, LAZY_COMMIT: True}),
        expire_on_commit=False,
    )
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        if not is_busy(exc):
            raise
        log.debug("best-effort write skipped: the database is busy")
    finally:
        session.close()


_UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: (.+)$")
_UNIQUE_PG = re.compile(r"Key \((.+?)\)=")


def unique_violation(exc: IntegrityError) -> list[str] | None:
    """The columns of the unique constraint an INSERT or UPDATE broke, or None when the error
    is not a uniqueness violation."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":
        detail = getattr(getattr(orig, "diag", None), "message_detail", None) or ""
        match = _UNIQUE_PG.search(detail)
        return [c.strip() for c in match.group(1).split(",")] if match else []
    match = _UNIQUE_SQLITE.search(str(orig))
    if match is None:
        return None
    return [c.strip().rpartition(".")[2] for c in match.group(1).split(",")]


def refresh_statistics(session: Session, table: Table, columns: Sequence[str]) -> None:
    """Have PostgreSQL re-read its planner statistics for some columns of a table, in the
    session's transaction (SQLite needs none: it trusts a unique index as it is). For bulk
    loads: until autovacuum gets round to a table that grew fast, PostgreSQL plans as if it
    held a handful of rows, and a lookup by a unique key's second column reads them all."""
    if session.get_bind().dialect.name != "postgresql":
        return
    names = ", ".join(table.c[name].name for name in columns)
    session.execute(text(f"ANALYZE {table.name} ({names})"))


@contextmanager
def read_only_session(like: Session) -> Iterator[Session]:
    """A read-only session on the same database as `like`: on SQLite it never waits for a
    writer (and a job reading with it holds no write lock while it works)."""
    bind = like.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    session = Session(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()  # ends the transaction; what was read stays readable, detached


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for CLI commands and jobs: commits once at the end, rolls back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
