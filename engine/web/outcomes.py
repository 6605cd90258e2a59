"""The outcomes page: what became of referrals, plan goals, financial-empowerment work and
closure surveys in the supervisor's office, month by month, with a CSV download.

Counts come from engine.supervision.outcomes (the same report as GET /api/reports/outcomes);
this module only reads the filter form and lays the monthly referral counts out as bars for an
SVG, with tables of the same numbers beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request

from engine import policy
from engine.api.context import services
from engine.supervision.outcomes import (
    MONTH,
    OutcomeFilter,
    OutcomeReport,
    as_csv,
    outcome_report,
    outcome_rows,
)
from engine.web.guard import protect, require

outcomes_page = protect(Blueprint("outcome_report", __name__))

BAR_WIDTH = 34
BAR_GAP = 14
CHART_HEIGHT = 120
LEFT = 8
TOP = 20
CONNECTED = "connected"


@dataclass(frozen=True)
class MonthBar:
    month: str
    connected: int
    not_connected: int
    x: int
    connected_y: float
    connected_height: float
    other_y: float
    other_height: float


@dataclass(frozen=True)
class MonthlyChart:
    bars: list[MonthBar]

    @property
    def width(self) -> int:
        return LEFT * 2 + max(len(self.bars), 1) * (BAR_WIDTH + BAR_GAP)

    height: int = CHART_HEIGHT + TOP + 28
    baseline: int = CHART_HEIGHT + TOP


def monthly_chart(report: OutcomeReport) -> MonthlyChart:
    """Referral outcomes per month: connected, and every other result (not connected, closed)."""
    per_month: dict[str, list[int]] = {}
    for line in report.lines:
        if line.kind != "referral":
            continue
        counts = per_month.setdefault(line.month, [0, 0])
        counts[0 if line.result == CONNECTED else 1] += line.count
    peak = max((a + b for a, b in per_month.values()), default=0) or 1
    scale = CHART_HEIGHT / peak
    base = CHART_HEIGHT + TOP
    bars = []
    for index, month in enumerate(sorted(per_month)):
        connected, other = per_month[month]
        c_height, o_height = connected * scale, other * scale
        bars.append(
            MonthBar(
                month=month,
                connected=connected,
                not_connected=other,
                x=LEFT + index * (BAR_WIDTH + BAR_GAP),
                connected_y=round(base - c_height, 1),
                connected_height=round(c_height, 1),
                other_y=round(base - c_height - o_height, 1),
                other_height=round(o_height, 1),
            )
        )
    return MonthlyChart(bars)


def _filter(office: str) -> tuple[OutcomeFilter, dict[str, str]]:
    """The page's filters; a malformed month or key is ignored rather than refused."""
    raw = {
        name: (request.args.get(name) or "").strip()
        for name in ("since", "until", "partner", "need")
    }
    values = {
        "since": raw["since"] if MONTH.fullmatch(raw["since"]) else "",
        "until": raw["until"] if MONTH.fullmatch(raw["until"]) else "",
        "partner": raw["partner"][:80],
        "need": raw["need"][:80],
    }
    where = OutcomeFilter(
        office=office,
        since_month=values["since"] or None,
        until_month=values["until"] or None,
        partner=values["partner"] or None,
        need=values["need"] or None,
    )
    return where, values


@outcomes_page.get("/outcomes")
def outcomes() -> str:
    principal = require(policy.Action.SEE_OUTCOMES)
    where, values = _filter(principal.office)
    with services().readers() as session:
        report = outcome_report(session, where)
    query = {k: v for k, v in values.items() if v}
    return render_template(
        "outcomes.html",
        report=report,
        chart=monthly_chart(report),
        values=values,
        query=query,
    )


@outcomes_page.get("/outcomes.csv")
def outcomes_csv() -> Response:
    principal = require(policy.Action.SEE_OUTCOMES)
    where, _values = _filter(principal.office)
    with services().readers() as session:
        body = as_csv(outcome_rows(session, where))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="outcomes.csv"'},
    )
