"""Which staff members a staff notice (or a safe-contact phone task) is for.

A recipient naming a user is that user; naming a role (`caseworker`) is the case's owner when it
has one (continuity of care), else every active member of the office holding the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import CaseOwner, User, UserRole


@dataclass(frozen=True)
class StaffMember:
    username: str
    email: str | None


def staff_recipients(
    session: Session, office: str, recipient: str, business_key: str | None
) -> list[StaffMember]:
    user = session.scalar(select(User).where(User.username == recipient, User.active.is_(True)))
    if user is not None:
        return [StaffMember(user.username, user.email)]
    if business_key is not None:
        owner = session.scalar(
            select(User)
            .join(CaseOwner, CaseOwner.owner == User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                CaseOwner.office == office,
                CaseOwner.business_key == business_key,
                UserRole.role == recipient,
                User.active.is_(True),
            )
        )
        if owner is not None:
            return [StaffMember(owner.username, owner.email)]
    members = session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.office == office, UserRole.role == recipient, User.active.is_(True))
        .order_by(User.username)
    )
    return [StaffMember(m.username, m.email) for m in members]
