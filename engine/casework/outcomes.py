"""Outcomes a form declares: rows for the outcomes report, written with the task completion.

A form says which of its fields are outcomes with an `x-outcomes` list; each entry makes one
row, or one row per item of a list field (`each`):

    "x-outcomes": [
      {"kind": "referral", "result": "referral_result", "reason": "not_connected_reason",
       "need": "need", "partner": "partner"},
      {"kind": "financial", "each": "financial_outcomes", "need": "=financial_empowerment"}
    ]

`kind` is a literal; `result`, `reason`, `need` and `partner` name a field, looked up in the
list item (when it is an object), then in the submitted data, then in the case data the task
saw; a value starting with `=` is a literal. A list of codes (`each` over strings) gives one
row per code, the code as its result. `when` / `unless` name a submitted field: the entry
counts only when it is truthy / falsy (`{"kind": "referral", "unless": "consent_given",
"result": "=not_connected", "reason": "=no_consent"}`). An entry whose result is absent or
empty makes no row (an optional outcome left blank). Declaring outcomes on the form keeps the
diagram free of bookkeeping steps and makes the row part of the same transaction as the
completion.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.store.models import OutcomeRecord

OUTCOMES_KEY = "x-outcomes"
KINDS = ("referral", "plan_goal", "financial", "survey")
FIELDS = ("result", "reason", "need", "partner")
MAX_REASON = 2000


@dataclass(frozen=True)
class OutcomeRow:
    kind: str
    result: str
    reason: str | None = None
    need: str | None = None
    partner: str | None = None


def declared(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = schema.get(OUTCOMES_KEY) or []
    return [entry for entry in entries if isinstance(entry, Mapping)]


def declaration_problems(schema: Mapping[str, Any]) -> list[str]:
    """What is wrong with a form's `x-outcomes` (for deploy checks and the diagram tests)."""
    problems = []
    for index, entry in enumerate(declared(schema)):
        where = f"{OUTCOMES_KEY}[{index}]"
        if entry.get("kind") not in KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
        unknown = set(entry) - {"kind", "each", "when", "unless", *FIELDS}
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if "result" not in entry and "each" not in entry:
            problems.append(f"{where}: names no result field")
    return problems


def extract(
    schema: Mapping[str, Any], submitted: Mapping[str, Any], seen: Mapping[str, Any]
) -> list[OutcomeRow]:
    """The outcome rows a completion produces; pure, so forms can be tested without a database."""
    rows: list[OutcomeRow] = []
    for entry in declared(schema):
        rows.extend(_rows(entry, submitted, seen))
    return rows


def _rows(
    entry: Mapping[str, Any], submitted: Mapping[str, Any], seen: Mapping[str, Any]
) -> Iterator[OutcomeRow]:
    kind = str(entry.get("kind"))
    if "when" in entry and not submitted.get(str(entry["when"])):
        return
    if "unless" in entry and submitted.get(str(entry["unless"])):
        return
    each = entry.get("each")
    if each is None:
        items: list[Any] = [None]
    else:
        value = _lookup(str(each), None, submitted, seen)
        items = value if isinstance(value, list) else []
    for item in items:
        values = {
            name: _value(entry.get(name), item, submitted, seen) for name in FIELDS if name in entry
        }
        if isinstance(item, str) and "result" not in entry:
            values["result"] = item
        result = values.get("result")
        if result in (None, "", [], {}):
            continue
        yield OutcomeRow(
            kind=kind,
            result=_text(result, 80),
            reason=_optional(values.get("reason"), MAX_REASON),
            need=_optional(values.get("need"), 80),
            partner=_optional(values.get("partner"), 80),
        )


def _value(spec: Any, item: Any, submitted: Mapping[str, Any], seen: Mapping[str, Any]) -> Any:
    if not isinstance(spec, str):
        return None
    if spec.startswith("="):
        return spec[1:]
    return _lookup(spec, item, submitted, seen)


def _lookup(name: str, item: Any, submitted: Mapping[str, Any], seen: Mapping[str, Any]) -> Any:
    for source in (item, submitted, seen):
        if isinstance(source, Mapping) and name in source:
            return source[name]
    return None


def _text(value: Any, limit: int) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)[:limit]


def _optional(value: Any, limit: int) -> str | None:
    if value in (None, "", [], {}):
        return None
    return _text(value, limit)


def add_rows(
    session: Session,
    rows: list[OutcomeRow],
    *,
    office: str,
    case_key: str,
    case_id: int | None,
    instance_id: str | None,
    task_id: str | None,
    actor: str,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    """Stage the rows in the caller's transaction (they commit or roll back with it)."""
    month = now.astimezone(zone).strftime("%Y-%m")
    for row in rows:
        session.add(
            OutcomeRecord(
                office=office,
                case_key=case_key,
                case_id=case_id,
                instance_id=instance_id,
                task_id=task_id,
                kind=row.kind,
                need=row.need,
                partner=row.partner,
                result=row.result,
                reason=row.reason,
                month=month,
                recorded_at=now,
                recorded_by=actor,
            )
        )
