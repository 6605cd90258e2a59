"""The daily print: letters rendered for one office on one day, to print and mail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import Letter


def letters_of_day(session: Session, office: str, day: date, zone: ZoneInfo) -> list[Letter]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    return list(
        session.scalars(
            select(Letter)
            .where(
                Letter.office == office,
                Letter.created_at >= start,
                Letter.created_at < start + timedelta(days=1),
            )
            .order_by(Letter.created_at, Letter.outbox_id)
        )
    )


def mark_printed(
    session: Session, office: str, outbox_ids: list[int], who: str, now: datetime
) -> int:
    count = 0
    for letter in session.scalars(
        select(Letter).where(Letter.office == office, Letter.outbox_id.in_(outbox_ids))
    ):
        if letter.printed_at is None:
            letter.printed_at, letter.printed_by = now, who
            count += 1
    return count
