"""The service-standards chart: completed on time vs late, per task type, week by week.

Counts come from engine.supervision.reports (one report per week, indexed task rows only);
this module only lays them out as bars for an SVG the page draws, with a table of the same
numbers beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.identity.users import Principal
from engine.supervision.reports import service_standards

WEEKS = 8
BAR_WIDTH = 26
BAR_GAP = 12
CHART_HEIGHT = 120
LEFT = 8
TOP = 20  # room above the tallest bar for its count (it was clipped at 8)


@dataclass(frozen=True)
class Bar:
    week: date
    on_time: int
    late: int
    x: int
    on_time_y: float
    on_time_height: float
    late_y: float
    late_height: float


@dataclass(frozen=True)
class Series:
    queue: str
    process_id: str
    task_name: str
    title: str
    bars: list[Bar]

    @property
    def total_on_time(self) -> int:
        return sum(b.on_time for b in self.bars)

    @property
    def total_late(self) -> int:
        return sum(b.late for b in self.bars)


@dataclass(frozen=True)
class WeeklyChart:
    weeks: list[date]
    series: list[Series]
    width: int = LEFT * 2 + WEEKS * (BAR_WIDTH + BAR_GAP)
    height: int = CHART_HEIGHT + TOP + 28
    baseline: int = CHART_HEIGHT + TOP


def week_starts(now: datetime, zone: ZoneInfo, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last `weeks` weeks, this week last, in the office's zone."""
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def weekly_chart(
    session: Session, principal: Principal, *, now: datetime, zone: ZoneInfo, office: str
) -> WeeklyChart:
    weeks = week_starts(now, zone)
    counts: dict[tuple[str, str, str], dict[date, tuple[int, int]]] = {}
    titles: dict[tuple[str, str, str], str] = {}
    for monday in weeks:
        since = datetime.combine(monday, time(0), zone)
        until = min(since + timedelta(weeks=1), now)
        for line in service_standards(
            session, principal, now=now, since=since, until=until, office=office
        ):
            key = (line.queue, line.process_id, line.task_name)
            titles[key] = line.title
            counts.setdefault(key, {})[monday] = (line.completed_on_time, line.completed_late)
    peak = max((a + b for per in counts.values() for a, b in per.values()), default=0) or 1
    series = [
        Series(*key, titles[key], _bars(weeks, counts[key], peak))
        for key in sorted(counts)
        if any(a + b for a, b in counts[key].values())
    ]
    return WeeklyChart(weeks, series)


def _bars(weeks: list[date], per_week: dict[date, tuple[int, int]], peak: int) -> list[Bar]:
    bars = []
    scale = CHART_HEIGHT / peak
    for index, monday in enumerate(weeks):
        on_time, late = per_week.get(monday, (0, 0))
        on_height, late_height = on_time * scale, late * scale
        base = CHART_HEIGHT + TOP
        bars.append(
            Bar(
                week=monday,
                on_time=on_time,
                late=late,
                x=LEFT + index * (BAR_WIDTH + BAR_GAP),
                on_time_y=round(base - on_height, 1),
                on_time_height=round(on_height, 1),
                late_y=round(base - on_height - late_height, 1),
                late_height=round(late_height, 1),
            )
        )
    return bars
