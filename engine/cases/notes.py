"""Case notes: free text by staff, correctable by their author for a short while, then fixed
(a record others may have relied on does not change under them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.errors import Forbidden, Invalid, NoteLocked, NotFound
from engine.identity.users import Principal
from engine.store.models import Case, CaseNote

MAX_LENGTH = 10_000
EDIT_WINDOW = timedelta(minutes=15)


def add_note(
    session: Session, principal: Principal, case: Case, body: str, now: datetime
) -> CaseNote:
    note = CaseNote(case_id=case.id, author=principal.username, body=_checked(body), created_at=now)
    session.add(note)
    session.flush()
    record(
        session,
        at=now,
        actor=principal.username,
        action="case.note",
        case_id=case.id,
        note_id=note.id,
    )
    return note


def edit_note(
    session: Session, principal: Principal, case: Case, note_id: int, body: str, now: datetime
) -> CaseNote:
    """Only the author, and only within EDIT_WINDOW of writing it; after that NoteLocked."""
    note = session.get(CaseNote, note_id, with_for_update=True)
    if note is None or note.case_id != case.id:
        raise NotFound(f"note {note_id} not found on case {case.key!r}")
    if note.author != principal.username:
        raise Forbidden("only the author can change a note")
    if now - note.created_at > EDIT_WINDOW:
        raise NoteLocked(f"notes can be changed for {EDIT_WINDOW.seconds // 60} minutes only")
    note.body, note.edited_at = _checked(body), now
    record(
        session,
        at=now,
        actor=principal.username,
        action="case.note_edit",
        case_id=case.id,
        note_id=note.id,
    )
    return note


def list_notes(session: Session, case: Case, limit: int, offset: int) -> tuple[list[CaseNote], int]:
    query = select(CaseNote).where(CaseNote.case_id == case.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(CaseNote.created_at.desc(), CaseNote.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def _checked(body: str) -> str:
    if not body.strip():
        raise Invalid("a note must not be empty", field="body")
    if len(body) > MAX_LENGTH:
        raise Invalid(f"a note holds at most {MAX_LENGTH} characters", field="body")
    return body
