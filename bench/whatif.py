"""What-if at scale: replay 10,000 recorded cases through a candidate version on PostgreSQL
(engine/supervision/whatif.py). Target: ≤ 60 s.

History is bulk-inserted (instances and their human tasks: created, completed, due), so the
scenario measures the replay itself: reading the history and running each case through the
candidate in memory. The diagram is tests/supervision/whatif/check_in*.bpmn (a task with a
deadline timer); diagrams with more steps and scripts cost more per case.

    .venv/bin/python -m bench whatif
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.common import QUICK, Scenario, Target, fresh_postgres, postgres_url
from engine.casework import commands
from engine.clock import FakeClock
from engine.config import Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import SYSTEM
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Definition, HumanTask, ProcessInstance
from engine.supervision.whatif import candidate_spec, what_if
from handlers import default_registry

CASES = 1_000 if QUICK else 10_000
TARGET_S = 60.0
DIAGRAMS = Path(__file__).resolve().parent.parent / "tests" / "supervision" / "whatif"
NOW = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)


def _history(svc: Services, rng: random.Random) -> None:
    with transaction(svc.sessions) as session:
        definition = session.query(Definition).filter_by(process_id="check_in").one()
        instances, tasks = [], []
        for n in range(CASES):
            created = NOW - timedelta(minutes=rng.randrange(60 * 24 * 55))
            took = timedelta(hours=rng.uniform(2, 100))
            instance_id = str(uuid.uuid4())
            instances.append(
                {
                    "id": instance_id,
                    "definition_id": definition.id,
                    "process_id": "check_in",
                    "version": 1,
                    "business_key": f"W-{n}",
                    "office": "sudbury",
                    "status": "completed",
                    "state": b"",
                    "data_json": "{}",
                    "lock_version": 1,
                    "started_by": "bench",
                    "created_at": created,
                    "updated_at": created + took,
                }
            )
            tasks.append(
                {
                    "id": str(uuid.uuid4()),
                    "instance_id": instance_id,
                    "process_id": "check_in",
                    "business_key": f"W-{n}",
                    "office": "sudbury",
                    "task_name": "call_client",
                    "title": "Call the client",
                    "queue": "caseworker",
                    "status": "completed",
                    "created_at": created,
                    "due_at": created + timedelta(days=3),
                    "completed_at": created + took,
                    "completed_by": "bench",
                    "submitted_json": json.dumps({}),
                }
            )
        session.execute(insert(ProcessInstance), instances)
        session.execute(insert(HumanTask), tasks)


def run() -> Scenario:
    url = fresh_postgres(postgres_url("_whatif"))
    svc = Services.build(
        Settings(database_url=url), clock=FakeClock(NOW), registry=default_registry()
    )
    try:
        files = [SourceFile("check_in.bpmn", (DIAGRAMS / "check_in.bpmn").read_bytes())]
        commands.deploy_files(svc, SYSTEM, files)
        _history(svc, random.Random(22))
        shorter = [SourceFile("check_in.bpmn", (DIAGRAMS / "check_in_shorter.bpmn").read_bytes())]
        candidate = candidate_spec(svc, "check_in", shorter)
        started = time.perf_counter()
        with svc.readers() as session:
            report = what_if(svc, session, "check_in", candidate, weeks=8).as_dict()
        seconds = time.perf_counter() - started
    finally:
        svc.engine.dispose()
    old, new = report["overall"]["old"], report["overall"]["new"]
    return Scenario(
        name="whatif",
        title="What-if: a shorter deadline replayed over recorded cases",
        database="postgresql",
        sample=f"{report['cases']:,} cases, one task each, 8 weeks",
        header=["cases", "seconds", "cases/s", "old on time %", "new on time %", "failed"],
        rows=[
            [
                report["cases"],
                round(seconds, 1),
                round(report["cases"] / seconds, 1),
                old["on_time_pct"],
                new["on_time_pct"],
                report["failed_cases"],
            ]
        ],
        targets=[
            Target(
                f"what-if over {CASES:,} cases ≤ {TARGET_S:.0f} s",
                f"{seconds:.1f} s",
                seconds <= TARGET_S if CASES >= 10_000 else None,
            )
        ],
        data={"seconds": seconds, "report_overall": report["overall"]},
    )
