"""The dispatcher: claim due outbox rows under a lease, send each, record the outcome.

Claiming is APScheduler's way of acquiring jobs: `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite serializes writers anyway), then a lease (`lease_owner`, `lease_expires_at`)
so a dispatcher killed mid-send does not hold its rows forever: once the lease expires another
one sends them again, with the same idempotency key. Sending happens outside any transaction;
each row's outcome is one transaction, written only while the lease is still ours.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock
from engine.delivery.channels import Channel, Envelope, Result
from engine.delivery.plan import Plan, Planner
from engine.store.db import transaction
from engine.store.models import Letter, OutboxEntry, StaffNotification

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
    ) -> None:
        self.sessions = sessions
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
        with self.sessions() as session:
            row = session.get(OutboxEntry, outbox_id)
            if row is None or row.lease_owner != self.owner:
                return
            plan = self.planner.plan(session, row)
        results = [] if plan.failure else [self._send(name, env) for name, env in plan.sends]
        self._record(outbox_id, plan, results)

    def _send(self, name: str, envelope: Envelope) -> tuple[Envelope, Result]:
        channel = self.channels[name]
        try:
            return envelope, channel.send(envelope)
        except Exception as exc:  # an adapter bug must not stop the other rows: retried later
            log.exception("channel %s raised on outbox row %s", name, envelope.outbox_id)
            return envelope, Result("retry", error=f"{type(exc).__name__}: {exc}")

    def _record(self, outbox_id: int, plan: Plan, results: list[tuple[Envelope, Result]]) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(OutboxEntry, outbox_id, with_for_update=True)
            if row is None or row.lease_owner != self.owner or row.status != "pending":
                log.warning("outbox row %s: lease lost before recording; left as it is", outbox_id)
                return
            row.lease_owner = None
            row.lease_expires_at = None
            row.language = plan.language
            row.attempts += 1
            if plan.failure:
                _finish(row, "failed", now, error=plan.failure)
                return
            row.subject = plan.subject[:500]
            row.body = plan.body
            for envelope, result in results:
                if result.outcome == "sent":
                    _store(session, row, envelope, result, now)
            _settle(row, results, plan, now, self.limits.max_attempts)


def _settle(
    row: OutboxEntry,
    results: list[tuple[Envelope, Result]],
    plan: Plan,
    now: datetime,
    max_attempts: int,
) -> None:
    failures = [r.error or "" for _, r in results if r.outcome == "failed"]
    retries = [r.error or "" for _, r in results if r.outcome == "retry"]
    providers = [r.provider_id for _, r in results if r.outcome == "sent" and r.provider_id]
    row.provider_id = ", ".join(providers)[:300] or row.provider_id
    if failures:
        _finish(row, "failed", now, error="; ".join(failures))
    elif retries and row.attempts >= max_attempts:
        _finish(row, "failed", now, error=f"gave up after {row.attempts} attempts: {retries[0]}")
    elif retries:
        row.last_error = "; ".join(retries)[:4000]
        row.next_attempt_at = now + backoff(row.attempts)
    elif plan.no_channel:
        _finish(row, "no_channel", now, error=plan.no_channel)
    else:
        row.status = "sent"
        row.sent_at = now
        row.last_error = None
        row.next_attempt_at = None


def _finish(row: OutboxEntry, status: str, now: datetime, *, error: str) -> None:
    row.status = status
    row.last_error = error[:4000]
    row.next_attempt_at = None


def _store(
    session: Session, row: OutboxEntry, envelope: Envelope, result: Result, now: datetime
) -> None:
    """What a channel produced that lives with us: the letter to print, the in-app notice."""
    if result.pdf is not None and session.get(Letter, row.id) is None:
        session.add(
            Letter(
                outbox_id=row.id,
                office=envelope.office,
                recipient=envelope.name[:300],
                address=envelope.to,
                language=envelope.language,
                pdf=result.pdf,
                created_at=now,
            )
        )
    if result.in_app_for is not None:
        exists = session.scalar(
            select(StaffNotification.id).where(
                StaffNotification.outbox_id == row.id,
                StaffNotification.username == result.in_app_for,
            )
        )
        if exists is None:
            session.add(
                StaffNotification(
                    outbox_id=row.id,
                    username=result.in_app_for,
                    office=envelope.office,
                    instance_id=envelope.instance_id,
                    subject=envelope.subject[:500],
                    body=envelope.body,
                    created_at=now,
                )
            )
