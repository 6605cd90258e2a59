"""Case rows: keys, creation, find-or-create for a business key, and the start rules.

Below the command layer (engine.casework.commands uses it to put every instance in a case), so
it imports only the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases.normalize import search_text
from engine.errors import CaseClosed, CaseExists, ProcessAlreadyRunning
from engine.store.models import Case, CaseKeySequence, ProcessInstance

RUNNING = ("running", "waiting", "error")
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Client:
    """Who the case is about. Personal information: every read of it is audited."""

    name: str
    preferred_language: str | None = None
    date_of_birth: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    safe_contact: bool = False
    interpreter_needed: bool = False


def next_key(session: Session, office: str, now: datetime) -> str:
    """`C-<year>-<000123>`: the year from the clock, a per-office counter per year.

    One `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: concurrent openers in one office
    each get their own number (PostgreSQL locks the counter row until commit), no gaps are
    reused and no read-then-write race exists.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CaseKeySequence).values(office=office, year=now.year, last_value=1)
    statement = statement.on_conflict_do_update(
        index_elements=["office", "year"],
        set_={"last_value": CaseKeySequence.last_value + 1},
    ).returning(CaseKeySequence.last_value)
    while True:
        number = session.execute(statement).scalar_one()
        key = f"C-{now.year}-{number:06d}"
        if find(session, office, key) is None:  # a key someone typed by hand may be taken
            return key


def find(session: Session, office: str, key: str, *, lock: bool = False) -> Case | None:
    query = select(Case).where(Case.office == office, Case.key == key)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def create(
    session: Session, office: str, key: str, client: Client, *, actor: str, now: datetime
) -> Case:
    """A new open case; CaseExists if the office has the key (also when a concurrent
    transaction created it first)."""
    case = Case(
        office=office,
        key=key,
        status="open",
        client_name=client.name,
        client_search=search_text(client.name, key),
        preferred_language=client.preferred_language,
        date_of_birth=client.date_of_birth,
        email=client.email,
        phone=client.phone,
        address=client.address,
        safe_contact=client.safe_contact,
        interpreter_needed=client.interpreter_needed,
        opened_at=now,
        opened_by=actor,
    )
    if find(session, office, key) is not None:
        raise CaseExists(f"office {office!r} already has case {key!r}", field="key")
    try:
        with session.begin_nested():
            session.add(case)
    except IntegrityError as exc:
        raise CaseExists(f"office {office!r} already has case {key!r}", field="key") from exc
    return case


def for_business_key(
    session: Session, office: str, key: str, data: Any, *, actor: str, now: datetime
) -> tuple[Case, bool]:
    """The office's case with this key, locked, made (named from the start data) if new;
    returns (case, created). Locking it serializes starts on one case."""
    found = find(session, office, key, lock=True)
    if found is not None:
        return found, False
    try:
        case = create(session, office, key, Client(client_name_in(data)), actor=actor, now=now)
    except CaseExists:  # created meanwhile by a concurrent start: use theirs
        return _existing(session, office, key), False
    return case, True


def _existing(session: Session, office: str, key: str) -> Case:
    found = find(session, office, key, lock=True)
    if found is None:
        raise CaseExists(f"case {key!r} is being created by another request; try again")
    return found


def check_startable(session: Session, case: Case, process_id: str) -> None:
    """Nothing starts on a closed case, nor a second unfinished instance of one process."""
    if case.status == "closed":
        raise CaseClosed(f"case {case.key!r} is closed")
    running = session.scalar(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.case_id == case.id,
            ProcessInstance.process_id == process_id,
            ProcessInstance.status.in_(RUNNING),
        )
        .limit(1)
    )
    if running is not None:
        raise ProcessAlreadyRunning(
            f"case {case.key!r} already has {process_id!r} under way (instance {running})"
        )


def client_name_in(data: Any) -> str:
    """The client's name as start data carries it (intake: applicant.name; others:
    client_name), or empty when it does not."""
    if not isinstance(data, dict):
        return ""
    applicant = data.get("applicant")
    name = applicant.get("name") if isinstance(applicant, dict) else None
    name = name or data.get("client_name")
    return name.strip()[:200] if isinstance(name, str) else ""
