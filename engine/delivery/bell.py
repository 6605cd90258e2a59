"""In-app staff notifications: the bell's count, the list, marking read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.store.models import StaffNotification


def unread_count(session: Session, username: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                StaffNotification.username == username, StaffNotification.read_at.is_(None)
            )
        )
        or 0
    )


def notifications(session: Session, username: str, limit: int = 100) -> list[StaffNotification]:
    return list(
        session.scalars(
            select(StaffNotification)
            .where(StaffNotification.username == username)
            .order_by(StaffNotification.read_at.is_not(None), StaffNotification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, username: str, ids: list[int] | None, now: datetime) -> int:
    """Mark the given notifications (None: all) of this user read; others' are untouched."""
    query = update(StaffNotification).where(
        StaffNotification.username == username, StaffNotification.read_at.is_(None)
    )
    if ids is not None:
        query = query.where(StaffNotification.id.in_(ids))
    return session.execute(query.values(read_at=now)).rowcount or 0  # type: ignore[attr-defined]
