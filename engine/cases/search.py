"""Find cases by client name (accent- and case-insensitive), key, or date of birth.

Names and keys are matched word by word as substrings of the stored normalized text
(`client_search`), so "marie eve", "Marie-Eve" and "TREMBLAY marie" all find "Marie-Ève
Tremblay". On PostgreSQL each `LIKE '%word%'` is served by the trigram GIN index; on SQLite the
office's cases are scanned (an embedded database holds one office's few thousand cases).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.cases.normalize import normalize
from engine.errors import Forbidden
from engine.identity.users import Principal
from engine.store.models import Case

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class CaseQuery:
    q: str | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


def search(session: Session, principal: Principal, wanted: CaseQuery) -> tuple[list[Case], int]:
    """One page of the cases the caller may see (own office; admins all), newest first."""
    if not (policy.searches_every_office(principal) or policy.may_open_cases(principal)):
        raise Forbidden("only staff who work cases can search them")
    query = matching(select(Case), wanted.q)
    if not policy.searches_every_office(principal):
        query = query.where(Case.office == principal.office)
    if wanted.status:
        query = query.where(Case.status == wanted.status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(wanted.limit)
        .offset(wanted.offset)
    ).all()
    return list(rows), total


def matching(query: Select[Any], q: str | None) -> Select[Any]:
    text = (q or "").strip()
    if not text:
        return query
    if _DATE.match(text):
        try:
            return query.where(Case.date_of_birth == date.fromisoformat(text))
        except ValueError:
            pass  # 2026-13-45 is not a date: search it as text
    for word in normalize(text).split() or [""]:
        # normalize() leaves only letters, digits and spaces: no LIKE wildcard can get through
        query = query.where(Case.client_search.like(f"%{word}%"))
    return query
