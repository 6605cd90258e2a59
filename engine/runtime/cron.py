"""Quartz/Camunda cron expressions in `timeCycle`: `0 0 9 * * MON-FRI`.

Six or seven fields: seconds, minutes, hours, day of month, month, day of week, [year].
Each field takes `*`, `?` (day fields), numbers, ranges `a-b`, lists `a,b`, steps `*/n`,
`a/n`, `a-b/n`, and names (JAN–DEC, SUN–SAT). Day of week counts as Quartz does: 1 = Sunday
… 7 = Saturday. `L`, `W` and `#` are not supported (refused at deploy with a message).
When both day fields are restricted, a day must match both. Times are wall-clock times in the
office's zone: a time skipped by a daylight-saving change is skipped, a repeated one fires once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTHS = tuple("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())
_DAYS = tuple("SUN MON TUE WED THU FRI SAT".split())
# (name, low, high, names) per field; day of week is 1..7 = SUN..SAT
_FIELDS = (
    ("seconds", 0, 59, ()),
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)
_LOOKAHEAD_DAYS = 366 * 5
_SHAPE = re.compile(r"^[0-9A-Za-z*?/,\- ]+$")


class CronError(ValueError):
    """Not a cron expression Caseway can schedule."""


@dataclass(frozen=True)
class Cron:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: any (or `?`)
    months: frozenset[int]
    weekdays: frozenset[int] | None  # Python weekday numbers (Monday 0), None: any
    years: frozenset[int] | None

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        if self.days is not None and day.day not in self.days:
            return False
        return self.weekdays is None or day.weekday() in self.weekdays

    def next_after(self, moment: datetime, zone: str) -> datetime:
        """The first firing strictly after `moment` (aware), as an aware UTC datetime."""
        tz = ZoneInfo(zone)
        local = moment.astimezone(tz)
        times = sorted(
            time(h, m, s) for h in self.hours for m in self.minutes for s in self.seconds
        )
        day = local.date()
        for _ in range(_LOOKAHEAD_DAYS):
            if self.matches_day(day):
                for at in times:
                    candidate = datetime.combine(day, at, tzinfo=tz)
                    if candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != (
                        candidate.replace(tzinfo=None)
                    ):
                        continue  # skipped by a daylight-saving change
                    if candidate > local:
                        return candidate.astimezone(UTC)
            day += timedelta(days=1)
        raise CronError("the cron expression never fires in the next five years")


def looks_like_cron(text: str) -> bool:
    parts = text.split()
    return len(parts) in (6, 7) and bool(_SHAPE.match(text)) and not text.upper().startswith("R")


def parse(text: str) -> Cron:
    parts = text.split()
    if len(parts) not in (6, 7):
        raise CronError(f"{text!r} is not a cron expression (6 or 7 fields: s m h dom mon dow [y])")
    values: list[frozenset[int] | None] = []
    for index, part in enumerate(parts):
        name, low, high, names = _FIELDS[index]
        values.append(_field(part, name, low, high, names, allow_any=index in (3, 5)))
    seconds, minutes, hours, days, months, weekdays = values[:6]
    years = values[6] if len(values) == 7 else None
    assert seconds is not None and minutes is not None and hours is not None
    return Cron(
        seconds=seconds,
        minutes=minutes,
        hours=hours,
        days=days,
        months=months or frozenset(range(1, 13)),
        weekdays=None if weekdays is None else frozenset((d + 5) % 7 for d in weekdays),
        years=years,
    )


def _field(
    part: str, name: str, low: int, high: int, names: tuple[str, ...], *, allow_any: bool
) -> frozenset[int] | None:
    part = part.upper()
    if part in ("*", "?"):
        if part == "?" and not allow_any:
            raise CronError(f"'?' is only for day of month or day of week, not {name}")
        return None if allow_any or name == "year" else frozenset(range(low, high + 1))
    if any(c in part for c in "LW#"):
        raise CronError(f"{name}: L, W and # are not supported")
    found: set[int] = set()
    for item in part.split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, name, 1, high, ()) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = (
                _number(first, name, low, high, names),
                _number(last, name, low, high, names),
            )
        else:
            start = _number(base, name, low, high, names)
            end = high if step_text else start
        if start > end:
            raise CronError(f"{name}: range {base} runs backwards")
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _number(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text in names:
        return names.index(text) + low
    if not text.isdigit():
        raise CronError(f"{name}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name}: {value} is outside {low}-{high}")
    return value
