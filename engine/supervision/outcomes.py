"""The outcomes report: what became of referrals, plan goals, financial-empowerment work and
closure surveys, counted by office, month, partner and need.

Reads only `outcome` rows (written with the task completions that produced them). Counting is
done in SQL per (office, month, kind, need, partner, result); the per-dimension totals are sums
of those lines, so the page, the JSON and the CSV always agree.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.models import OutcomeRecord

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
CSV_COLUMNS = (
    "case",
    "office",
    "kind",
    "need",
    "partner",
    "result",
    "reason",
    "recorded_at",
    "recorded_by",
)
MAX_CSV_ROWS = 100_000


@dataclass(frozen=True)
class OutcomeFilter:
    office: str | None = None  # None: every office (admins)
    since_month: str | None = None  # YYYY-MM, inclusive
    until_month: str | None = None  # YYYY-MM, inclusive
    partner: str | None = None
    need: str | None = None
    kind: str | None = None

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.office is not None:
            clauses.append(OutcomeRecord.office == self.office)
        if self.since_month:
            clauses.append(OutcomeRecord.month >= self.since_month)
        if self.until_month:
            clauses.append(OutcomeRecord.month <= self.until_month)
        if self.partner:
            clauses.append(OutcomeRecord.partner == self.partner)
        if self.need:
            clauses.append(OutcomeRecord.need == self.need)
        if self.kind:
            clauses.append(OutcomeRecord.kind == self.kind)
        return clauses


@dataclass(frozen=True)
class OutcomeLine:
    office: str
    month: str
    kind: str
    need: str | None
    partner: str | None
    result: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "month": self.month,
            "kind": self.kind,
            "need": self.need,
            "partner": self.partner,
            "result": self.result,
            "count": self.count,
        }


@dataclass(frozen=True)
class OutcomeReport:
    lines: list[OutcomeLine]

    @property
    def total(self) -> int:
        return sum(line.count for line in self.lines)

    def by(self, dimension: str) -> dict[str, int]:
        """Totals per office, month, partner, need, kind or result ("" for none)."""
        counts: Counter[str] = Counter()
        for line in self.lines:
            counts[getattr(line, dimension) or ""] += line.count
        return dict(sorted(counts.items()))

    def months(self) -> list[str]:
        return sorted({line.month for line in self.lines})


def outcome_report(session: Session, where: OutcomeFilter) -> OutcomeReport:
    keys = (
        OutcomeRecord.office,
        OutcomeRecord.month,
        OutcomeRecord.kind,
        OutcomeRecord.need,
        OutcomeRecord.partner,
        OutcomeRecord.result,
    )
    query = select(*keys, func.count().label("n")).where(*where.where()).group_by(*keys)
    lines = [
        OutcomeLine(row.office, row.month, row.kind, row.need, row.partner, row.result, row.n)
        for row in session.execute(query)
    ]
    lines.sort(key=lambda x: (x.office, x.month, x.kind, x.need or "", x.partner or "", x.result))
    return OutcomeReport(lines)


def outcome_rows(session: Session, where: OutcomeFilter) -> Iterable[OutcomeRecord]:
    query = (
        select(OutcomeRecord)
        .where(*where.where())
        .order_by(OutcomeRecord.recorded_at, OutcomeRecord.id)
        .limit(MAX_CSV_ROWS)
    )
    return session.scalars(query)


def as_csv(rows: Iterable[OutcomeRecord]) -> str:
    """One line per recorded outcome; cells that a spreadsheet would run as a formula are
    quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    row.case_key,
                    row.office,
                    row.kind,
                    row.need,
                    row.partner,
                    row.result,
                    row.reason,
                    row.recorded_at.isoformat(),
                    row.recorded_by,
                )
            ]
        )
    return out.getvalue()


def _cell(value: str | None) -> str:
    text = value or ""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
