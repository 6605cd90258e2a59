"""How a business-time deadline was computed, and computing it again.

A deadline written `business_days(4)` or `business_hours(16, received_at)` is kept as its
basis (start, amount, unit). When the office calendar changes (a closure is added or removed,
a holiday configured) or the clock stops while the office waits on the client, the due time
is the same arithmetic on the calendar of the day, pushed by the business hours the clock
stood still. Pure: no database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.deadlines.calendar import OfficeCalendar

BUSINESS_DAYS = "business_days"
BUSINESS_HOURS = "business_hours"
UNITS = (BUSINESS_DAYS, BUSINESS_HOURS)
# While a clock is stopped its timer must not fire: its due time is parked here. The year
# keeps clear of datetime's limits when converted to any zone.
STOPPED = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Basis:
    """What a timer expression asked for: `amount` `unit`s counted from `start_at`."""

    start_at: datetime
    amount: float
    unit: str
    standard_key: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "start_at": self.start_at.isoformat(),
            "amount": self.amount,
            "unit": self.unit,
            "standard_key": self.standard_key,
        }

    @classmethod
    def from_dict(cls, raw: object) -> Basis | None:
        """The basis stored with a timer, or None when it is missing or unreadable."""
        if not isinstance(raw, dict) or raw.get("unit") not in UNITS:
            return None
        try:
            start = datetime.fromisoformat(str(raw["start_at"]))
            amount = float(raw["amount"])
        except (KeyError, TypeError, ValueError):
            return None
        standard = raw.get("standard_key")
        return cls(start, amount, str(raw["unit"]), standard if isinstance(standard, str) else None)


def due_without_pauses(calendar: OfficeCalendar, basis: Basis) -> datetime:
    """The due time on this calendar, as if the clock had never stopped."""
    if basis.unit == BUSINESS_DAYS:
        return calendar.add_business_days(basis.start_at, int(basis.amount))
    return calendar.add_business_hours(basis.start_at, basis.amount)


def pushed(calendar: OfficeCalendar, due: datetime, paused_hours: float) -> datetime:
    """`due` moved later by the business hours the clock stood still."""
    if paused_hours <= 0:
        return due
    return calendar.add_business_hours(due, paused_hours)


def business_hours_between(calendar: OfficeCalendar, start: datetime, end: datetime) -> float:
    """Working hours in [start, end) on this calendar: how long a stopped clock stood still."""
    if end <= start:
        return 0.0
    zone = calendar.zone
    local_start = start.astimezone(zone).replace(tzinfo=None)
    local_end = end.astimezone(zone).replace(tzinfo=None)
    total = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        if calendar.is_business_day(day):
            opens = datetime.combine(day, calendar.workday_start)
            closes = datetime.combine(day, calendar.workday_end)
            lo, hi = max(opens, local_start), min(closes, local_end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return round(total.total_seconds() / 3600, 4)


def calendar_version(calendar: OfficeCalendar) -> str:
    """A short fingerprint of everything that decides business time in the office: the same
    version means the same due times."""
    parts = [
        calendar.timezone,
        calendar.workday_start.isoformat(),
        calendar.workday_end.isoformat(),
        ",".join(calendar.optional_holidays),
        ",".join(sorted(d.isoformat() for d in calendar.closures)),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
