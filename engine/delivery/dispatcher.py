"""The dispatcher: claim due outbox rows under a lease, send each, record the outcome.

Claiming is APScheduler's way of acquiring jobs: `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite serializes writers anyway), then a lease (`lease_owner`, `lease_expires_at`)
so a dispatcher killed mid-send does not hold its rows forever: once the lease expires another
one sends them again, with the same idempotency key. Sending happens outside any transaction;
each row's outcome is one transaction, written only while the lease is still ours.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock
from engine.delivery.channels import Channel, Envelope, Result
from engine.delivery.plan import Plan, Planner
from engine.store.db import transaction
from engine.store.models import (
    CaseAttachment,
    Letter,
    OutboxEntry,
    ProcessInstance,
    StaffNotification,
)

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try: 1 min, 2, 4, … capped at 1 h."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass(frozen=True)
class Limits:
    max_attempts: int = 8
    lease: timedelta = timedelta(minutes=5)
    batch: int = 50


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        planner: Planner,
        channels: Mapping[str, Channel],
        limits: Limits | None = None,
        owner: str | None = None,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self.sessions = sessions
        self.readers = readers or sessions
        self.clock = clock
        self.planner = planner
        self.channels = dict(channels)
        self.limits = limits or Limits()
        self.owner = owner or new_owner()

    def run(self, max_batches: int = 20) -> int:
        """Drain what is due now (bounded, so one pass never runs forever); rows handled."""
        done = 0
        try:
            for _ in range(max_batches):
                claimed = self.claim()
                for outbox_id in claimed:
                    self._deliver_one(outbox_id)
                done += len(claimed)
                if len(claimed) < self.limits.batch:
                    break
        finally:
            for channel in self.channels.values():
                channel.close()
        return done

    def _deliver_one(self, outbox_id: int) -> None:
        """One row's failure (a database hiccup, a bug) must not stop the others: it is logged
        and the row, still leased, comes back when its lease expires."""
        try:
            self.deliver(outbox_id)
        except Exception:
            log.exception("delivering outbox row %s failed; retried after its lease", outbox_id)

    def claim(self) -> list[int]:
        now = self.clock.now()
        until = now + self.limits.lease
        due = (
            OutboxEntry.status == "pending",
            or_(OutboxEntry.next_attempt_at <= now, OutboxEntry.next_attempt_at.is_(None)),
            or_(OutboxEntry.lease_expires_at.is_(None), OutboxEntry.lease_expires_at <= now),
        )
        with transaction(self.sessions) as session:
            ids = session.scalars(
                select(OutboxEntry.id)
                .where(*due)
                .order_by(OutboxEntry.next_attempt_at, OutboxEntry.id)
                .limit(self.limits.batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not ids:
                return []
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(ids), *due)
                .values(lease_owner=self.owner, lease_expires_at=until)
            )
            return list(
                session.scalars(
                    select(OutboxEntry.id)
                    .where(OutboxEntry.id.in_(ids), OutboxEntry.lease_owner == self.owner)
                    .order_by(OutboxEntry.id)
                )
            )

    def deliver(self, outbox_id: int) -> None:
        # One read (the row with its instance, on an autocommit reader), the sends with no
        # transaction open, then one short transaction: few round trips per message.
        with self.readers() as session:
            found = session.execute(
                select(OutboxEntry, ProcessInstance)
                .outerjoin(ProcessInstance, ProcessInstance.id == OutboxEntry.instance_id)
                .where(OutboxEntry.id == outbox_id)
            ).first()
            if found is None or found[0].lease_owner != self.owner:
                return
            row = found[0]
            attempts = row.attempts
            plan = self.planner.plan(session, row)  # finds the instance in the session
        results = [] if plan.failure else [self._send(name, env) for name, env in plan.sends]
        self._record(outbox_id, attempts + 1, plan, results)

    def _send(self, name: str, envelope: Envelope) -> tuple[Envelope, Result]:
        channel = self.channels[name]
        try:
            return envelope, channel.send(envelope)
        except Exception as exc:  # an adapter bug must not stop the other rows: retried later
            log.exception("channel %s raised on outbox row %s", name, envelope.outbox_id)
            return envelope, Result("retry", error=f"{type(exc).__name__}: {exc}")

    def _record(
        self, outbox_id: int, attempts: int, plan: Plan, results: list[tuple[Envelope, Result]]
    ) -> None:
        """The outcome, written only while the lease is still ours (a supervisor's retry or
        handled, or another dispatcher after our lease expired, wins)."""
        now = self.clock.now()
        changes = outcome(attempts, plan, results, now, self.limits.max_attempts)
        with transaction(self.sessions) as session:
            updated = session.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.id == outbox_id,
                    OutboxEntry.lease_owner == self.owner,
                    OutboxEntry.status == "pending",
                )
                .values(**changes, lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )
            if updated.rowcount != 1:  # type: ignore[attr-defined]
                log.warning("outbox row %s: lease lost before recording; left as it is", outbox_id)
                return
            for envelope, result in results:
                if result.outcome == "sent":
                    _store(session, outbox_id, envelope, result, now)


def outcome(
    attempts: int,
    plan: Plan,
    results: list[tuple[Envelope, Result]],
    now: datetime,
    max_attempts: int,
) -> dict[str, Any]:
    """The row's new columns after attempt number `attempts`."""
    changes: dict[str, Any] = {"attempts": attempts, "language": plan.language}
    if plan.failure:
        return {**changes, **_final("failed", plan.failure)}
    changes.update(subject=plan.subject[:500], body=plan.body)
    providers = [r.provider_id for _, r in results if r.outcome == "sent" and r.provider_id]
    if providers:
        changes["provider_id"] = ", ".join(providers)[:300]
    failures = [r.error or "" for _, r in results if r.outcome == "failed"]
    retries = [r.error or "" for _, r in results if r.outcome == "retry"]
    if failures:
        return {**changes, **_final("failed", "; ".join(failures))}
    if retries and attempts >= max_attempts:
        return {**changes, **_final("failed", f"gave up after {attempts} attempts: {retries[0]}")}
    if retries:
        return {
            **changes,
            "last_error": "; ".join(retries)[:4000],
            "next_attempt_at": now + backoff(attempts),
        }
    if plan.no_channel:
        return {**changes, **_final("no_channel", plan.no_channel)}
    return {
        **changes,
        "status": "sent",
        "sent_at": now,
        "last_error": None,
        "next_attempt_at": None,
    }


def _final(status: str, error: str) -> dict[str, Any]:
    return {"status": status, "last_error": error[:4000], "next_attempt_at": None}


def _store(
    session: Session, outbox_id: int, envelope: Envelope, result: Result, now: datetime
) -> None:
    """What a channel produced that lives with us: the letter to print, the in-app notice."""
    if result.pdf is not None and session.get(Letter, outbox_id) is None:
        session.add(
            Letter(
                outbox_id=outbox_id,
                office=envelope.office,
                recipient=envelope.name[:300],
                address=envelope.to,
                language=envelope.language,
                pdf=result.pdf,
                created_at=now,
            )
        )
        if envelope.case_id is not None:  # the letter as sent, in the case file
            session.add(
                CaseAttachment(
                    case_id=envelope.case_id,
                    filename=f"notice-{outbox_id}-{envelope.language}.pdf",
                    content_type="application/pdf",
                    size_bytes=len(result.pdf),
                    sha256=hashlib.sha256(result.pdf).hexdigest(),
                    uploaded_by="system",
                    uploaded_at=now,
                    content=result.pdf,
                )
            )
    if result.in_app_for is not None:
        exists = session.scalar(
            select(StaffNotification.id).where(
                StaffNotification.outbox_id == outbox_id,
                StaffNotification.username == result.in_app_for,
            )
        )
        if exists is None:
            session.add(
                StaffNotification(
                    outbox_id=outbox_id,
                    username=result.in_app_for,
                    office=envelope.office,
                    instance_id=envelope.instance_id,
                    subject=envelope.subject[:500],
                    body=envelope.body,
                    created_at=now,
                )
            )
