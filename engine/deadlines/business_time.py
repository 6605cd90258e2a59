"""`business_days(n[, start])`, `business_hours(h[, start])`, `end_of_business_day(n[, start])`:
the trusted functions diagrams call, bound to an office calendar and a notion of "now". Pure:
the server binds them to its clock, a sandbox process to the moment the server sent with the
request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
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

    def end_of_business_day(n: int = 0, start: Any = None) -> datetime:
        """Closing time of the n-th business day after `start` (0: the same day, or the next
        business day when `start` falls on a closed day or after closing). A "same day" or
        "within N business days" window ends here, never at a clock instant on a weekend."""
        calendar = office_calendar()
        due = business_days(n, start).astimezone(calendar.zone)
        closing = datetime.combine(due.date(), calendar.workday_end).replace(tzinfo=calendar.zone)
        return closing.astimezone(UTC)

    def current_time() -> datetime:
        """The command's "now" (the injected clock), never the machine's: a clock that starts
        at a script's own trigger reads it."""
        return now()

    # What a call counted from, for engine.runtime.deadline_capture (the basis of a deadline).
    setattr(business_days, "start_of", start_of)  # noqa: B010
    setattr(business_hours, "start_of", start_of)  # noqa: B010
    return {
        "now": current_time,
        "business_days": business_days,
        "business_hours": business_hours,
        "end_of_business_day": end_of_business_day,
    }
