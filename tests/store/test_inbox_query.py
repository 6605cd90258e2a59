"""The inbox query against a plain-Python oracle: same page, same order, same total.

The inbox reads open tasks as disjoint index slices and merges them (engine/casework/queues.py); any
slice that overlaps another, or misses rows, shows up here as a wrong page or total.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from engine import policy
from engine.casework import queues
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Definition, HumanTask, ProcessInstance

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
OFFICES = ["sudbury", "ottawa"]
QUEUES = ["intake_worker", "caseworker", "supervisor"]
USERS = ["casey", "cole", "olive", "sam", "ada", None, None]
PRINCIPALS = {
    "caseworker": Principal("casey", "sudbury", frozenset({"caseworker"})),
    "two queues": Principal("cole", "sudbury", frozenset({"caseworker", "intake_worker"})),
    "no queue role": Principal("dana", "sudbury", frozenset({"designer"})),
    "supervisor": Principal("sam", "sudbury", frozenset({"supervisor"})),
    "admin": Principal("ada", "sudbury", frozenset({"admin"})),
    "other office": Principal("olive", "ottawa", frozenset({"caseworker"})),
}
FILTERS = {
    "inbox": queues.InboxFilter(),
    "mine": queues.InboxFilter(mine=True),
    "queue": queues.InboxFilter(queue="caseworker"),
    "foreign queue": queues.InboxFilter(queue="intake_worker"),
    "overdue": queues.InboxFilter(overdue_at=NOW),
    "due soon, page 2": queues.InboxFilter(due_before=NOW + timedelta(days=3), offset=7, limit=9),
    "second page": queues.InboxFilter(offset=10, limit=10),
    "past the end": queues.InboxFilter(offset=500),
    "all statuses": queues.InboxFilter(status="any", limit=20),
    "urgent first": queues.InboxFilter(sort="priority", limit=12),
    "urgent first, page 2": queues.InboxFilter(sort="priority", offset=5, limit=9),
    "urgent first, mine": queues.InboxFilter(sort="priority", mine=True),
    "newest first": queues.InboxFilter(sort="created", offset=3, limit=11),
    "search": queues.InboxFilter(search="housing K-1", limit=100),
    "search, urgent first": queues.InboxFilter(search="food", sort="priority", limit=100),
    "search, all statuses": queues.InboxFilter(search="housing", status="any", limit=100),
}
TITLES = ["Follow up", "Referral", "Decide"]
DETAILS = [None, "Food · Sudbury Food Bank", "Housing · Cochrane House"]


def _seed(session: Session, rng: random.Random) -> list[HumanTask]:
    definition = Definition(
        process_id="p",
        version=1,
        name="p",
        sha256="0" * 64,
        spec_json="{}",
        created_at=NOW,
        created_by="dana",
    )
    session.add(definition)
    session.flush()
    session.add(
        ProcessInstance(
            id="i-1",
            definition_id=definition.id,
            process_id="p",
            version=1,
            business_key="k",
            office="sudbury",
            status="waiting",
            state=b"",
            data_json="{}",
            started_by="ira",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.flush()
    tasks = []
    for n in range(240):
        due = None if rng.random() < 0.2 else NOW + timedelta(hours=rng.randint(-96, 96))
        created = NOW - timedelta(minutes=rng.randint(0, 5) * 30)  # many ties on purpose
        tasks.append(
            HumanTask(
                id=f"t-{n:03d}",
                instance_id="i-1",
                process_id="p",
                business_key=f"K-{n % 20}",
                office=rng.choice(OFFICES),
                task_name="T",
                title=rng.choice(TITLES),
                detail=rng.choice(DETAILS),
                priority=rng.choice([0, 0, 0, 0, 1, 2]),
                queue=rng.choice(QUEUES),
                assignee=rng.choice(USERS),
                status=rng.choice(["open", "open", "open", "completed"]),
                created_at=created,
                due_at=due,
            )
        )
    session.add_all(tasks)
    return tasks


def _expected(tasks: list[HumanTask], who: Principal, wanted: queues.InboxFilter) -> list[str]:
    def keep(task: HumanTask) -> bool:
        if not policy.may_see_task(who, task):
            return False
        if wanted.status != "any" and task.status != wanted.status:
            return False
        if wanted.queue and task.queue != wanted.queue:
            return False
        if wanted.mine and task.assignee != who.username:
            return False
        for bound in (wanted.overdue_at, wanted.due_before):
            if bound is not None and (task.due_at is None or task.due_at >= bound):
                return False
        text = f"{task.title} {task.business_key} {task.detail or ''}".lower()
        return all(word in text for word in (wanted.search or "").lower().split())

    def order(task: HumanTask) -> tuple[object, ...]:
        due = (task.due_at is None, task.due_at or NOW, task.created_at, task.id)
        return (-task.priority, *due) if wanted.sort == "priority" else due

    kept = list(filter(keep, tasks))
    if wanted.sort == "created":
        return [t.id for t in sorted(kept, key=lambda t: (t.created_at, t.id), reverse=True)]
    return [t.id for t in sorted(kept, key=order)]


@pytest.mark.parametrize("who", PRINCIPALS, ids=list(PRINCIPALS))
def test_every_page_matches_the_rules(svc: Services, who: str) -> None:
    rng = random.Random(20261123)
    with transaction(svc.sessions) as session:
        tasks = _seed(session, rng)
        snapshot = [
            HumanTask(
                id=t.id,
                office=t.office,
                queue=t.queue,
                assignee=t.assignee,
                status=t.status,
                created_at=t.created_at,
                due_at=t.due_at,
                title=t.title,
                business_key=t.business_key,
                detail=t.detail,
                priority=t.priority,
            )
            for t in tasks
        ]
    principal = PRINCIPALS[who]
    with svc.sessions() as session:
        for name, wanted in FILTERS.items():
            expected = _expected(snapshot, principal, wanted)
            rows, total = queues.inbox(session, principal, wanted)
            page = expected[wanted.offset : wanted.offset + wanted.limit]
            assert [r.id for r in rows] == page, name
            assert total == len(expected), name
