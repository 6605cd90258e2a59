"""Engine and session factory; routes and commands own the transaction, not this module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

CONNECT_TIMEOUT_SECONDS = 10
IDLE_PING_SECONDS = 30.0
POOL_RECYCLE_SECONDS = 1800
READ_ONLY_OPTION = "caseway_read_only"


def make_engine(
    url: str,
    *,
    lock_timeout_ms: int = 0,
    idle_in_transaction_timeout_ms: int = 0,
    transaction_pooler: bool = False,
    **kwargs: Any,
) -> Engine:
    """An engine for `url`; on PostgreSQL each connection starts with the two timeouts set
    (libpq `options`, so they hold for every statement without a round trip of their own).

    Behind a transaction-mode pooler (PgBouncer) consecutive transactions of one connection
    may run on different server sessions: psycopg's server-side prepared statements would not
    be found there, and startup options are not passed on, so neither is used."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # A database that is down or restarting: a pooled connection is checked before use only
    # when it sat idle for IDLE_PING_SECONDS (a ping on every checkout was 9 % of a request),
    # connections are replaced after POOL_RECYCLE_SECONDS, the first disconnect drops the whole
    # pool, a read request that met a dead connection is retried once (engine/api/unavailable.py),
    # and a new connection gives up after 10 s instead of hanging (the API then answers 503).
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    connect_args = dict(kwargs.pop("connect_args", {}))
    if "connect_timeout" not in url:
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    if transaction_pooler:
        connect_args["prepare_threshold"] = None
        lock_timeout_ms = idle_in_transaction_timeout_ms = 0  # set on the database or role
    options = [
        f"-c {name}={int(value)}"
        for name, value in (
            ("lock_timeout", lock_timeout_ms),
            ("idle_in_transaction_session_timeout", idle_in_transaction_timeout_ms),
        )
        if value
    ]
    if options:
        connect_args["options"] = " ".join(options)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Any:
    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool then discards it and connects afresh
            raise DisconnectionError("an idle pooled connection was dead") from exc
        if not alive:
            raise DisconnectionError("an idle pooled connection was dead")

    return ping


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take the write lock at BEGIN so two writers queue instead of failing mid-transaction;
    read sessions begin deferred, so readers never wait for (or hold up) a writer."""
    if conn.get_execution_options().get(READ_ONLY_OPTION):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads (authentication, inbox pages, views).

    On PostgreSQL they run in autocommit: no BEGIN and ROLLBACK round trips, and each statement
    sees what was committed before it, as it would inside a READ COMMITTED transaction. On
    SQLite they begin deferred: a consistent snapshot without the write lock. A read session
    refuses to flush, so a write through one fails loudly instead of committing piecemeal.
    """
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    factory = sessionmaker(engine.execution_options(**options), expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_writes)
    return factory


class ReadOnlySession(RuntimeError):
    """A write was attempted through a read session (a programming error)."""


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("this session only reads; write inside transaction(svc.sessions)")


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
