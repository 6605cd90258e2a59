"""Finding the one case a request names: by key in the caller's office (admins: any office)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import policy
from engine.cases import permissions
from engine.errors import CaseNotFound, Conflict
from engine.identity.users import Principal
from engine.store.models import Case, CaseOwner


def readable_case(
    session: Session, principal: Principal, key: str, office: str | None = None
) -> Case:
    """The case `key` of `office` (default: the caller's); an admin naming no office gets the
    one case with that key anywhere. Unknown or not visible: CaseNotFound."""
    return permissions.require_readable(principal, _find(session, principal, key, office), key)


def locked_case(session: Session, principal: Principal, key: str, office: str | None) -> Case:
    """As readable_case, with the row locked for a command."""
    found = readable_case(session, principal, key, office)
    session.refresh(found, with_for_update=True)
    return found


def case_owner(session: Session, case: Case) -> str | None:
    """The case's primary caseworker (supervision's CaseOwner, keyed by office and key)."""
    row = session.get(CaseOwner, (case.office, case.key))
    return row.owner if row is not None else None


def _find(session: Session, principal: Principal, key: str, office: str | None) -> Case | None:
    if office is None and policy.sees_every_office(principal):
        found = session.scalars(select(Case).where(Case.key == key).limit(2)).all()
        mine = [c for c in found if c.office == principal.office]
        if mine or len(found) == 1:
            return (mine or found)[0]
        if len(found) > 1:
            raise Conflict(f"several offices have a case {key!r}; name one with ?office=")
        return None
    wanted = office or principal.office
    if not policy.reaches_office(principal, wanted):
        raise CaseNotFound(f"case {key!r} not found")
    return session.scalar(select(Case).where(Case.office == wanted, Case.key == key))
