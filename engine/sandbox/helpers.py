"""Trusted helpers inside a sandbox process: the office calendar and the service standards.

The server sends what they need with each request (calendar settings with the office's closure
days, the standards, the command's "now"); the holiday tables are built when the process starts,
before its limits apply, and every helper runs off the script's time budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from engine.deadlines.business_time import business_functions
from engine.deadlines.calendar import OfficeCalendar, default_calendar
from engine.deadlines.standards import standard_function
from engine.sandbox.budget import trusted

WARM_YEARS = (-1, 11)  # holiday tables built at start: last year to ten years ahead


def describe_calendar(calendar: OfficeCalendar) -> dict[str, Any]:
    """An office calendar as JSON for the wire."""
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "closures": sorted(d.isoformat() for d in calendar.closures),
        "optional_holidays": list(calendar.optional_holidays),
        "workday_start": calendar.workday_start.isoformat(),
        "workday_end": calendar.workday_end.isoformat(),
    }


def calendar_from(description: Mapping[str, Any]) -> OfficeCalendar:
    return OfficeCalendar(
        name=str(description.get("name", "default")),
        timezone=description["timezone"],
        closures=frozenset(date.fromisoformat(d) for d in description.get("closures", [])),
        optional_holidays=tuple(description.get("optional_holidays", ())),
        workday_start=time.fromisoformat(description["workday_start"]),
        workday_end=time.fromisoformat(description["workday_end"]),
    )


def trusted_globals(description: Mapping[str, Any] | None) -> dict[str, Callable[..., Any]]:
    """business_days, business_hours and standard, as the request describes them."""
    if not description:
        return {}
    found: dict[str, Callable[..., Any]] = {}
    calendar_description = description.get("calendar")
    if calendar_description is not None:
        office = calendar_from(calendar_description)
        moment = datetime.fromisoformat(description["now"])
        functions = business_functions(lambda: office, lambda: moment)
        found.update({name: trusted(f) for name, f in functions.items()})
    standards = description.get("standards")
    if standards is not None:
        found["standard"] = trusted(standard_function(dict(standards)))
    return found


def prepare(description: Mapping[str, Any] | None) -> None:
    """Build the holiday tables a request's calendar needs around its "now" (last year to next
    year, with the office's optional holidays) before the script's CPU budget starts; the start
    warmed the usual years, this covers an office's own holiday set or a far-off "now"."""
    if not description or description.get("calendar") is None:
        return
    office = calendar_from(description["calendar"])
    year = datetime.fromisoformat(description["now"]).year
    for offset in (-1, 0, 1):
        office.holidays_in(year + offset)


def warm(today: date, optional_sets: tuple[tuple[str, ...], ...] = ((),)) -> None:
    """Build the holiday tables (the slow part of the first business_days call) ahead of time."""
    for optional in optional_sets:
        calendar = OfficeCalendar("warm", optional_holidays=optional)
        for offset in range(*WARM_YEARS):
            calendar.holidays_in(today.year + offset)
    default_calendar().is_business_day(today)
