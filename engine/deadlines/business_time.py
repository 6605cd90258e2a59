"""`business_days(n[, start])` and `business_hours(h[, start])`: the trusted functions diagrams
call, bound to an office calendar and a notion of "now". Pure: the server binds them to its
clock, a sandbox process to the moment the server sent with the request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from engine.deadlines.calendar import OfficeCalendar

# Counting is a loop over days: an absurd n from task data must not run for minutes, and ten
# years of business days is already beyond any service standard.
MAX_BUSINESS_DAYS = 2_600
MAX_BUSINESS_HOURS = MAX_BUSINESS_DAYS * 24


def aware(value: datetime | str, zone: Any) -> datetime:
    """A datetime (or ISO text) with a zone; naive values are office-local wall time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def business_functions(
    office_calendar: Callable[[], OfficeCalendar], now: Callable[[], datetime]
) -> dict[str, Callable[..., Any]]:
    """The functions, bound to the office calendar (a loader: closure days are read only when
    business time is actually computed)."""

    def start_of(start: Any) -> datetime:
        if start is None:
            return now()
        if isinstance(start, date) and not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day)
        return aware(start, office_calendar().zone)

    def business_days(n: int, start: Any = None) -> datetime:
        if int(n) > MAX_BUSINESS_DAYS:
            raise ValueError(f"business_days() counts at most {MAX_BUSINESS_DAYS:,} days")
        return office_calendar().add_business_days(start_of(start), int(n))

    def business_hours(hours: float, start: Any = None) -> datetime:
        if float(hours) > MAX_BUSINESS_HOURS:
            raise ValueError(f"business_hours() counts at most {MAX_BUSINESS_HOURS:,} hours")
        return office_calendar().add_business_hours(start_of(start), float(hours))

    # What a call counted from, for engine.runtime.deadline_capture (the basis of a deadline).
    setattr(business_days, "start_of", start_of)  # noqa: B010
    setattr(business_hours, "start_of", start_of)  # noqa: B010
    return {"business_days": business_days, "business_hours": business_hours}
