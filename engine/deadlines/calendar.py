"""Business calendar for service-standard deadlines ("decide within 4 business days").

Closed days are weekends, the nine Ontario ESA public holidays, any optional holidays an office
also closes on (Easter Monday, Civic Holiday, Remembrance Day) and per-office closure dates.

Weekend observance: the ``holidays`` package already moves New Year's Day, Christmas Day and
Boxing Day to the following weekday(s) ("Boxing Day (observed)"), but gives no observed day
for Canada Day in Ontario (e.g. Sat 2028-07-01, Sun 2029-07-01).  Offices close on a weekday
instead, so any closure holiday that lands on a weekend without an observed entry is moved to
the next open weekday here.

Deadline rule: the clock starts at the request time if that is inside business hours, else at
the next opening time (a Saturday request starts Monday 08:30).  ``n`` business days later is
due at the same local clock time, so DST changes never shift the time of day.  Naive datetimes
are office-local wall time (never the server's zone); results are aware datetimes in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

OPTIONAL_HOLIDAYS = ("Easter Monday", "Civic Holiday", "Remembrance Day")
_OBSERVED = " (observed)"
_CONFIG_KEYS = {"timezone", "closures", "optional_holidays", "workday_start", "workday_end"}


class CalendarConfigError(ValueError):
    """A calendar configuration file is malformed; the message names the offending key."""


@cache
def _ontario(year: int, category: str) -> tuple[tuple[date, tuple[str, ...]], ...]:
    """One year of Ontario holidays; cached because building a ``holidays`` object is slow."""
    # language pinned so names are stable ("Labour Day") whatever the server's locale.
    found = holidays.Canada(subdiv="ON", categories=(category,), years=year, language="en_CA")
    return tuple(sorted((day, tuple(found.get_list(day))) for day in found))


@lru_cache(maxsize=256)
def _closed_holidays(year: int, optional: tuple[str, ...]) -> Mapping[date, str]:
    """Public holidays plus the chosen optional ones, with weekend holidays moved to a weekday."""
    chosen: dict[date, str] = {day: "; ".join(names) for day, names in _ontario(year, "public")}
    for day, names in _ontario(year, "optional"):
        picked = [n for n in names if n.removesuffix(_OBSERVED) in optional]
        if picked and day not in chosen:
            chosen[day] = "; ".join(picked)
    all_names = [n for joined in chosen.values() for n in joined.split("; ")]
    has_observed = {n.removesuffix(_OBSERVED) for n in all_names if n.endswith(_OBSERVED)}
    for day, name in sorted(chosen.items()):
        if day.weekday() < 5 or name.endswith(_OBSERVED) or name in has_observed:
            continue
        substitute = day + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in chosen:
            substitute += timedelta(days=1)
        chosen[substitute] = name + _OBSERVED
    return MappingProxyType(dict(sorted(chosen.items())))


@dataclass(frozen=True)
class OfficeCalendar:
    """When one office is open; all deadline arithmetic for that office goes through here."""

    name: str
    timezone: str = "America/Toronto"
    closures: frozenset[date] = field(default_factory=frozenset)
    optional_holidays: tuple[str, ...] = ()
    workday_start: time = time(8, 30)
    workday_end: time = time(16, 30)

    def __post_init__(self) -> None:
        # Coerce lists/sets so the instance stays hashable; reject typos loudly.
        object.__setattr__(self, "closures", frozenset(self.closures))
        object.__setattr__(self, "optional_holidays", tuple(self.optional_holidays))
        unknown = [n for n in self.optional_holidays if n not in OPTIONAL_HOLIDAYS]
        if unknown:
            raise ValueError(f"unknown optional holiday {unknown}; choose from {OPTIONAL_HOLIDAYS}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        if not self.workday_start < self.workday_end:
            raise ValueError("workday_start must be before workday_end")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def holidays_in(self, year: int) -> dict[date, str]:
        """Closed days of ``year`` besides weekends: holidays (incl. observed) and closures."""
        closed = dict(_closed_holidays(year, self.optional_holidays))
        for day in self.closures:
            if day.year == year:
                closed.setdefault(day, "Office closure")
        return dict(sorted(closed.items()))

    def is_business_day(self, d: date) -> bool:
        if d.weekday() >= 5 or d in self.closures:
            return False
        return d not in _closed_holidays(d.year, self.optional_holidays)

    def add_business_days(self, start: datetime, n: int) -> datetime:
        """Due time ``n`` business days after the clock starts, at the same local time of day."""
        if n < 0:
            raise ValueError("n must be >= 0")
        clock = self._clock_start(self._local(start))
        day = clock.date()
        for _ in range(n):
            day = self._next_business_day(day)
        return self._utc(datetime.combine(day, clock.time()))

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """Count only working hours; work finishing exactly at closing is due at closing."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        current = self._clock_start(self._local(start))
        remaining = timedelta(hours=hours)
        while True:
            # Wall-clock arithmetic: DST switches happen at 02:00, outside working hours.
            available = datetime.combine(current.date(), self.workday_end) - current
            if remaining <= available:
                return self._utc(current + remaining)
            remaining -= available
            current = datetime.combine(self._next_business_day(current.date()), self.workday_start)

    def business_days_between(self, a: date, b: date) -> int:
        """Business days in (a, b]: so ``add_business_days`` from a business day a lands on b."""
        if b < a:
            return -self.business_days_between(b, a)
        return sum(self.is_business_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def _local(self, moment: datetime) -> datetime:
        """Naive office-local wall time; naive input already is (never the server's zone)."""
        if moment.tzinfo is None:
            return moment
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _next_business_day(self, d: date) -> date:
        d += timedelta(days=1)
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def _clock_start(self, local: datetime) -> datetime:
        """The request time if inside business hours, else the next opening time."""
        day = local.date()
        if self.is_business_day(day):
            if local.time() < self.workday_start:
                return datetime.combine(day, self.workday_start)
            if local.time() < self.workday_end:
                return local
        return datetime.combine(self._next_business_day(day), self.workday_start)


def default_calendar() -> OfficeCalendar:
    """Provincial statutory holidays only, Toronto time, 08:30-16:30."""
    return OfficeCalendar(name="default")


def load_calendars(path: Path | None) -> dict[str, OfficeCalendar]:
    """Read ``{"default": {...}, "offices": {name: {...}}}``; offices inherit the default.

    An office key replaces the default's value, except ``closures``, which are added to the
    default's (a council-wide closure should not vanish when one office adds its own).
    The result always has a ``"default"`` entry for offices without their own calendar.
    """
    if path is None:
        return {"default": default_calendar()}
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarConfigError(f"cannot read calendar config {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CalendarConfigError("calendar config must be a JSON object")
    for key in raw:
        if key not in ("default", "offices"):
            raise CalendarConfigError(f"unknown key {key!r} in calendar config")
    base = _parse_office("default", raw.get("default", {}), {})
    offices = raw.get("offices", {})
    if not isinstance(offices, dict):
        raise CalendarConfigError("'offices' must be an object")
    result = {"default": OfficeCalendar(name="default", **base)}
    for name, entry in offices.items():
        if name == "default":
            raise CalendarConfigError("'offices.default' clashes with the top-level 'default'")
        result[name] = OfficeCalendar(name=name, **_parse_office(f"offices.{name}", entry, base))
    return result


def _parse_office(where: str, entry: Any, base: dict[str, Any]) -> dict[str, Any]:
    """Validate one office entry into OfficeCalendar keyword arguments."""
    if not isinstance(entry, dict):
        raise CalendarConfigError(f"'{where}' must be an object")
    settings = dict(base)
    for key, value in entry.items():
        if key not in _CONFIG_KEYS:
            raise CalendarConfigError(f"unknown key '{where}.{key}'")
        settings[key] = _parse_value(f"{where}.{key}", key, value)
    if "closures" in entry:
        settings["closures"] = settings["closures"] | base.get("closures", frozenset())
    try:
        OfficeCalendar(name=where, **settings)
    except ValueError as exc:
        raise CalendarConfigError(f"'{where}': {exc}") from exc
    return settings


def _parse_value(where: str, key: str, value: Any) -> Any:
    if key == "timezone":
        if not isinstance(value, str):
            raise CalendarConfigError(f"'{where}' must be a string")
        return value
    if key in ("workday_start", "workday_end"):
        try:
            parsed = time.fromisoformat(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is None or parsed.tzinfo is not None:
            raise CalendarConfigError(f"'{where}': bad time {value!r}, want HH:MM")
        return parsed
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CalendarConfigError(f"'{where}' must be a list of strings")
    if key == "optional_holidays":
        return tuple(value)
    days = set()
    for text in value:
        try:
            days.add(date.fromisoformat(text))
        except ValueError as exc:
            raise CalendarConfigError(f"'{where}': bad date {text!r}, want YYYY-MM-DD") from exc
    return frozenset(days)
