"""Idempotency keys: a client that retries a state-changing request runs its command at most once.

The key's row is written by the command's own transaction, never by a separate one: a request
that carries a key sets a `Reservation` in a context variable; a session hook notices the first
transaction that records an audited action by the caller (every human action is audited, and the
scheduler's timer firings are audited as `scheduler`, not as the caller) and adds the key's row
to it just before it commits. The command's effects and its key therefore commit together or
not at all. The answer is stored right after the commit; if the process dies in between, a
retry finds the row without an answer and the API renders it again from the resource.

Two requests with the same key at once: the second one's insert of the key waits on the first
one's uncommitted row (PostgreSQL's unique index; SQLite serialises writers), then fails, its
whole transaction rolls back, and the API answers it with the first one's result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakSet

from sqlalchemy import delete, event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine.store.db import transaction
from engine.store.models import AuditEvent, IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)

_CALLER_ACTION = "caseway.idempotency.action"  # session.info: the caller's first audit event
_RESERVED = "caseway.idempotency.reserved"  # session.info: the reservation this commit carries


@dataclass
class Reservation:
    """A keyed request in flight; `committed` once its command's transaction committed."""

    username: str
    key: str
    request_hash: str
    method: str
    path: str
    created_at: datetime
    committed: bool = False
    resource_id: str | None = None


_pending: ContextVar[Reservation | None] = ContextVar("caseway_idempotency", default=None)


@contextmanager
def reserving(reservation: Reservation) -> Iterator[Reservation]:
    """Run a request's command so that its transaction also records `reservation`."""
    token = _pending.set(reservation)
    try:
        yield reservation
    finally:
        _pending.reset(token)


_attached: WeakSet[sessionmaker[Session]] = WeakSet()


def attach(sessions: sessionmaker[Session]) -> None:
    """Install the session hooks (once per session factory).

    Not `event.contains`: it answers by id(), and a new factory that reuses a collected one's
    id would be taken as hooked already, silently recording no keys.
    """
    if sessions in _attached:
        return
    _attached.add(sessions)
    event.listen(sessions, "before_flush", _note_caller_action)
    event.listen(sessions, "before_commit", _add_key)
    event.listen(sessions, "after_commit", _mark_committed)
    event.listen(sessions, "after_transaction_end", _forget)


def _note_caller_action(session: Session, _context: Any, _instances: Any) -> None:
    """Before each flush: remember the caller's first audit event (a savepoint may flush it)."""
    reservation = _pending.get()
    if reservation is None or reservation.committed or _CALLER_ACTION in session.info:
        return
    action = _caller_action(session, reservation)
    if action is not None:
        session.info[_CALLER_ACTION] = action


def _caller_action(session: Session, reservation: Reservation) -> AuditEvent | None:
    for item in session.new:
        if isinstance(item, AuditEvent) and item.actor == reservation.username:
            return item
    return None


def _add_key(session: Session) -> None:
    """Before the outermost commit (and its last flush) of a transaction that audits the
    caller's action: add the key's row to it."""
    reservation = _pending.get()
    if reservation is None or reservation.committed:
        return
    if session.in_nested_transaction() or _RESERVED in session.info:
        return
    action = session.info.get(_CALLER_ACTION) or _caller_action(session, reservation)
    if action is None:
        return
    session.info[_CALLER_ACTION] = action
    session.add(
        IdempotencyKey(
            username=reservation.username,
            key=reservation.key,
            request_hash=reservation.request_hash,
            method=reservation.method,
            path=reservation.path[:500],
            resource_id=action.instance_id,
            created_at=reservation.created_at,
        )
    )
    session.info[_RESERVED] = reservation


def _mark_committed(session: Session) -> None:
    reservation = session.info.get(_RESERVED)
    if reservation is None or session.in_nested_transaction():
        return
    action = session.info.get(_CALLER_ACTION)
    reservation.committed = True
    reservation.resource_id = action.instance_id if action is not None else None


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CALLER_ACTION, None)
        session.info.pop(_RESERVED, None)


# -- the stored keys ------------------------------------------------------------------------------


def find(
    sessions: sessionmaker[Session], username: str, key: str, now: datetime
) -> IdempotencyKey | None:
    """The live key of this user, if any; an expired one is deleted so the key can be reused."""
    with sessions() as session:
        found = session.get(IdempotencyKey, (username, key))
    if found is None or found.created_at > now - KEY_LIFETIME:
        return found
    with transaction(sessions) as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.username == username,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at <= now - KEY_LIFETIME,
            )
        )
    return None


def store_answer(
    sessions: sessionmaker[Session], reservation: Reservation, status: int, body: str
) -> bool:
    """Keep the answer of a command whose key committed with it, or give a request that changed
    nothing (a claim of one's own task) its row now. False when a duplicate of that request
    stored its row first: its answer is the answer."""
    if reservation.committed:
        keep_answer(sessions, reservation.username, reservation.key, status, body)
        return True
    try:
        with transaction(sessions) as session:
            session.add(
                IdempotencyKey(
                    username=reservation.username,
                    key=reservation.key,
                    request_hash=reservation.request_hash,
                    method=reservation.method,
                    path=reservation.path[:500],
                    status_code=status,
                    response_json=body,
                    created_at=reservation.created_at,
                )
            )
    except IntegrityError:
        return False
    return True


def keep_answer(
    sessions: sessionmaker[Session], username: str, key: str, status: int, body: str
) -> None:
    """Store the answer of a key that has none yet (the first answer stored stays)."""
    with transaction(sessions) as session:
        session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.username == username,
                IdempotencyKey.key == key,
                IdempotencyKey.status_code.is_(None),
            )
            .values(status_code=status, response_json=body)
        )


def prune(sessions: sessionmaker[Session], now: datetime) -> int:
    """Delete the keys older than KEY_LIFETIME (the scheduler does this on every pass)."""
    with transaction(sessions) as session:
        result = session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - KEY_LIFETIME)
        )
        return int(getattr(result, "rowcount", 0) or 0)
