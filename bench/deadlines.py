"""Scenario: deadlines that follow the calendar. One office has 100,000 open business-time
deadlines, all due on the day a closure is then added; the closure moves every one of them
(deadline, timer and task rows, one audit row per task) in one transaction on PostgreSQL.

The rows are seeded with INSERT … SELECT from one real instance started through the commands
layer (so they look exactly like the ones sync writes), since starting 100,000 instances one
by one would take an hour and measures something else.

    .venv/bin/python -m bench deadlines            # 100,000 deadlines (target ≤ 30 s)
    QUICK=1 .venv/bin/python -m bench deadlines    # 2,000 deadlines
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text

from bench.common import QUICK, Scenario, Target, drop_postgres, fresh_postgres, postgres_url
from engine.casework.commands import StartRequest, deploy_files, start_instance
from engine.clock import FakeClock
from engine.config import REPO_ROOT, Settings
from engine.deadlines.closures import add_closure
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import AuditEvent, Deadline, HumanTask, Timer

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "closure_deadline.bpmn"
OFFICE = "bench"
DESIGNER = Principal("bench", OFFICE, frozenset({"designer"}))
STARTER = Principal("bench", OFFICE, frozenset({"caseworker"}))
SUPERVISOR = Principal("boss", OFFICE, frozenset({"supervisor"}))
STORM = date(2027, 1, 15)  # a Friday: every seeded deadline counts 4 business days to it
TARGET_S = 30.0

# Each row n: a Monday-morning start (09:00-09:59 Toronto) and the due time 4 business days on.
_SEED = """
WITH n AS (
  SELECT g, md5('i' || g)::uuid::text AS iid, md5('t' || g)::uuid::text AS tid,
         md5('x' || g)::uuid::text AS xid,
         TIMESTAMPTZ '2027-01-11 14:00:00+00' + (g % 60) * INTERVAL '1 minute' AS start_at
  FROM generate_series(1, :count) AS g
), i AS (
  INSERT INTO process_instance (id, definition_id, process_id, version, business_key, office,
    status, state, data_json, lock_version, started_by, created_at, updated_at)
  SELECT iid, t.definition_id, t.process_id, t.version, 'D-' || g, :office, t.status, t.state,
    t.data_json, 1, t.started_by, t.created_at, t.updated_at
  FROM n, process_instance t WHERE t.id = :template RETURNING 1
), h AS (
  INSERT INTO human_task (id, instance_id, process_id, business_key, office, task_name, title,
    queue, status, created_at, due_at, priority, deadline_id)
  SELECT tid, iid, 'closure_deadline', 'D-' || g, :office, 'decide', 'Decide on the request',
    'caseworker', 'open', :now, start_at + INTERVAL '4 days', 0, xid FROM n RETURNING 1
), x AS (
  INSERT INTO timer (id, instance_id, task_name, due_at, attached_to, interrupting)
  SELECT xid, iid, 'deadline', start_at + INTERVAL '4 days', tid, true FROM n RETURNING 1
)
INSERT INTO deadline (timer_id, instance_id, office, timer_name, attached_to, start_at, amount,
  unit, standard_key, calendar_version, paused_hours, due_without_pauses, due_at, status)
SELECT xid, iid, :office, 'deadline', tid, start_at, 4, 'business_days',
  'emergency_decision_business_days', 'seed', 0, start_at + INTERVAL '4 days',
  start_at + INTERVAL '4 days', 'open' FROM n
"""


def deadline_count() -> int:
    return 2_000 if QUICK else 100_000


def seed(svc: Services, count: int) -> float:
    started = time.perf_counter()
    deploy_files(svc, DESIGNER, [SourceFile(FIXTURE.name, FIXTURE.read_bytes())])
    template = start_instance(
        svc, STARTER, StartRequest("closure_deadline", "T-0", {"received_at": "2027-01-11T09:30"})
    )
    with transaction(svc.sessions) as session:
        session.execute(
            text(_SEED),
            {"count": count, "office": OFFICE, "template": template, "now": svc.clock.now()},
        )
    with svc.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def recompute(svc: Services, dry_run: bool) -> tuple[float, int]:
    started = time.perf_counter()
    with transaction(svc.sessions) as session:
        change = add_closure(
            session,
            SUPERVISOR,
            OFFICE,
            STORM,
            "ice storm",
            svc.clock.now(),
            svc.runtime.calendar_for(OFFICE),
            dry_run=dry_run,
        )
    return time.perf_counter() - started, len(change.moves)


def verify(svc: Services, expected: int) -> bool:
    with svc.sessions() as session:
        audits = session.scalar(select(func.count()).where(AuditEvent.action == "deadline.move"))
        moved_tasks = session.scalar(
            select(func.count()).where(
                HumanTask.office == OFFICE, func.date(HumanTask.due_at) == date(2027, 1, 18)
            )
        )
        moved_timers = session.scalar(
            select(func.count()).where(func.date(Timer.due_at) == date(2027, 1, 18))
        )
        moved_deadlines = session.scalar(
            select(func.count()).where(func.date(Deadline.due_at) == date(2027, 1, 18))
        )
    return audits == moved_tasks == moved_timers == moved_deadlines == expected


def run() -> Scenario:
    count = deadline_count()
    url = fresh_postgres(postgres_url("_deadlines"))
    clock = FakeClock(datetime(2027, 1, 12, 15, 0, tzinfo=UTC))
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False), clock=clock)
    load = os.getloadavg()
    try:
        seed_s = seed(svc, count)
        dry_s, previewed = recompute(svc, dry_run=True)
        real_s, moved = recompute(svc, dry_run=False)
        exact = verify(svc, moved) and previewed == moved == count + 1
    finally:
        svc.engine.dispose()
        drop_postgres(url)
    met = real_s <= TARGET_S
    return Scenario(
        name="deadlines",
        title="Deadlines that follow the calendar: a closure moves an office's open deadlines",
        database="PostgreSQL (loopback), a fresh database",
        sample=f"{count + 1:,} open deadlines in one office, all due on the closed day",
        header=["deadlines", "dry run s", "saved s", "moved", "/s saved", "rows agree"],
        rows=[
            [
                f"{count + 1:,}",
                f"{dry_s:.1f}",
                f"{real_s:.1f}",
                f"{moved:,}",
                f"{moved / real_s:,.0f}" if real_s else "-",
                "yes" if exact else "NO",
            ]
        ],
        targets=[
            Target(
                f"recompute {count + 1:,} open deadlines in ≤ {TARGET_S:.0f} s"
                + (" (QUICK: fewer rows)" if QUICK else ""),
                f"{real_s:.1f} s",
                met,
            ),
            Target(
                "dry run lists exactly what is saved; rows agree", "yes" if exact else "NO", exact
            ),
        ],
        notes=[
            f"seeding (INSERT … SELECT) took {seed_s:.0f} s",
            f"load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (shared machine)",
        ],
        data={"count": count + 1, "dry_s": dry_s, "real_s": real_s, "seed_s": seed_s},
    )
