"""Prepare a benchmark database: deploy diagrams, create the bench staff and their API tokens."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench.common import FIXTURES
from engine.casework.commands import deploy_files
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal, add_user, issue_token
from engine.services import Services
from engine.store.db import transaction

FIVE_TASKS = FIXTURES / "five_tasks.bpmn"
FIVE_TASK_FORMS = tuple(sorted(FIXTURES.glob("bench_*.schema.json")))
LOOP_REVIEW = REPO_ROOT / "tests" / "fixtures" / "loop_review.bpmn"
DISCRETIONARY_BENEFIT = REPO_ROOT / "tests" / "fixtures" / "discretionary_benefit.bpmn"
OFFICE = "bench"
# One user per queue of the five-task process, plus a second caseworker for four-eyes steps.
STAFF: dict[str, list[str]] = {
    "bench_intake": ["intake_worker"],
    "bench_cw": ["caseworker"],
    "bench_cw2": ["caseworker"],
    "bench_sup": ["supervisor"],
}
DESIGNER = Principal("bench", OFFICE, frozenset({"designer"}))
# The queue a task of the five-task process lands in → who works it in the benchmark.
WORKER_FOR_QUEUE = {
    "intake_worker": "bench_intake",
    "caseworker": "bench_cw",
    "supervisor": "bench_sup",
}


def services(url: str, **overrides: object) -> Services:
    settings = Settings(database_url=url, scheduler_enabled=False).with_overrides(overrides)
    return Services.build(settings)


def deploy(svc: Services, *paths: Path) -> None:
    """Deploy diagrams; the five-task process comes with its forms (a task without a form
    takes no data)."""
    if FIVE_TASKS in paths:
        paths = (*paths, *FIVE_TASK_FORMS)
    files = [SourceFile(p.name, p.read_bytes()) for p in paths]
    deploy_files(svc, DESIGNER, files)


def staff(svc: Services) -> dict[str, str]:
    """Create the bench staff; returns username → API token."""
    now = svc.clock.now()
    tokens = {}
    with transaction(svc.sessions) as session:
        for username, roles in STAFF.items():
            add_user(session, username, office=OFFICE, roles=roles, now=now)
        session.flush()
        for username in STAFF:
            tokens[username] = issue_token(session, username, now=now, ttl=timedelta(days=1))
    return tokens


def prepare(url: str, *paths: Path) -> dict[str, str]:
    """Deploy `paths` (default: the five-task process) and create staff; returns tokens."""
    svc = services(url)
    try:
        deploy(svc, *(paths or (FIVE_TASKS,)))
        return staff(svc)
    finally:
        svc.engine.dispose()


def principal(username: str) -> Principal:
    return Principal(username, OFFICE, frozenset(STAFF[username]))
