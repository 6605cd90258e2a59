"""Timer values as designers write them, turned into what SpiffWorkflow's timers expect.

- Plain ISO 8601 literals work unquoted: `PT4H`, `P3M`, `R/P3M`, `2027-01-04T09:00:00-05:00`.
- Dates without a zone are in the office's zone, never the server's.
- `business_days(n[, start])` and `business_hours(h[, start])` count on the office calendar and
  work in both timeDate and timeDuration (a duration becomes "from now until that moment").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.clock import Clock
from engine.deadlines.business_time import aware
from engine.deadlines.business_time import business_functions as pure_business_functions
from engine.deadlines.calendar import OfficeCalendar
from engine.runtime import cron

_NUM = r"\d+(\.\d+)?"
_DURATION = rf"P(?!$)({_NUM}Y)?({_NUM}M)?(\d+W)?({_NUM}D)?(T(?=\d)({_NUM}H)?({_NUM}M)?({_NUM}S)?)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
ISO_LITERAL = re.compile(
    rf"^(R\d*/)?(({_DURATION})|({_DATETIME}))(/(({_DURATION})|({_DATETIME})))?$", re.IGNORECASE
)


class TimerValueError(ValueError):
    """A timer's value is not a date, duration or cycle SpiffWorkflow can schedule."""


def is_iso_literal(expression: str) -> bool:
    return bool(ISO_LITERAL.match(expression.strip()))


def is_cron_cycle(definition: Any, expression: str) -> bool:
    """A timeCycle written as a Quartz/Camunda cron expression (`0 0 9 * * MON-FRI`)."""
    return isinstance(definition, CycleTimerEventDefinition) and cron.looks_like_cron(
        _unquoted(expression)
    )


def _unquoted(expression: str) -> str:
    text = expression.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def check_literal(definition: Any, literal: str) -> None:
    """Deploy-time check of a literal: raise TimerValueError if Spiff could not schedule it."""
    value = literal.strip()
    if is_cron_cycle(definition, value):
        try:
            cron.parse(_unquoted(value))
        except cron.CronError as exc:
            raise TimerValueError(str(exc)) from exc
        return
    kind = value[:1].upper()
    if isinstance(definition, CycleTimerEventDefinition) and kind != "R":
        raise TimerValueError(f"{value!r} is not a cycle (timeCycle wants e.g. R/P3M)")
    if isinstance(definition, DurationTimerEventDefinition) and kind != "P":
        raise TimerValueError(f"{value!r} is not a duration (timeDuration wants e.g. PT4H)")
    if isinstance(definition, TimeDateEventDefinition) and kind in ("P", "R"):
        raise TimerValueError(f"{value!r} is not a date (timeDate wants e.g. 2027-01-04T09:00)")
    try:
        if isinstance(definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif isinstance(definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        else:
            datetime.fromisoformat(value)
    except Exception as exc:  # Spiff raises bare Exception for bad durations
        raise TimerValueError(f"{value!r} is not a valid timer value ({exc})") from exc


def timer_value(
    definition: Any, expression: str, evaluate: Callable[[], Any], now: datetime, zone: Any
) -> str:
    """The string SpiffWorkflow's timer code needs for this definition.

    A cron cycle becomes an unbounded ISO cycle starting at its next firing; after each firing
    `reschedule_cron` moves it to the firing after that (SpiffWorkflow only adds a duration).
    """
    raw = expression.strip()
    if is_cron_cycle(definition, raw):
        first = cron.parse(_unquoted(raw)).next_after(now, _zone_name(zone))
        return f"R/{first.isoformat()}/P1D"
    value = raw if is_iso_literal(raw) else evaluate()
    if isinstance(definition, DurationTimerEventDefinition):
        return _as_duration(value, now, zone)
    if isinstance(definition, TimeDateEventDefinition):
        return _as_date(value, zone)
    if isinstance(value, str):
        return value
    raise TimerValueError(f"a timer cycle must be text like 'R/P3M', got {type(value).__name__}")


def _zone_name(zone: Any) -> str:
    return str(getattr(zone, "key", None) or zone)


CRON_DUE = "caseway_cron_due"  # in a cron timer's event_value: the firing it waits for


def reschedule_cron(
    definition: Any, internal_data: dict[str, Any], now: datetime, zone: Any
) -> bool:
    """After SpiffWorkflow advanced a cron cycle by its placeholder day, set the real next
    firing (the first one after now: missed firings are not replayed, as in Camunda).
    True when the value changed."""
    value = internal_data.get("event_value")
    if not isinstance(value, dict) or not is_cron_cycle(definition, definition.expression or ""):
        return False
    due = value.get(CRON_DUE)
    if due == value.get("next"):
        return False
    if due is None:  # first computed: this is the firing it waits for
        value[CRON_DUE] = value.get("next")
        return False
    schedule = cron.parse(_unquoted(definition.expression))
    after = max(now, datetime.fromisoformat(due))
    upcoming = schedule.next_after(after, _zone_name(zone)).isoformat()
    internal_data["event_value"] = {**value, "next": upcoming, CRON_DUE: upcoming}
    return True


def _as_duration(value: Any, now: datetime, zone: Any) -> str:
    if isinstance(value, datetime) or (
        isinstance(value, str) and not value.upper().startswith("P")
    ):
        moment = _aware(value, zone)
        seconds = max(0, int((moment - now).total_seconds()))
        return f"PT{seconds}S"
    if isinstance(value, str):
        return value
    raise TimerValueError(f"a timer duration must be text like 'PT4H', got {type(value).__name__}")


def _as_date(value: Any, zone: Any) -> str:
    if isinstance(value, datetime | str):
        return _aware(value, zone).isoformat()
    raise TimerValueError(f"a timer date must be a date-time, got {type(value).__name__}")


def _aware(value: datetime | str, zone: Any) -> datetime:
    try:
        return aware(value, zone)
    except ValueError as exc:
        raise TimerValueError(str(exc)) from exc


def business_functions(
    office_calendar: Callable[[], OfficeCalendar], clock: Clock
) -> dict[str, Callable[..., Any]]:
    """Functions timer expressions and scripts may call in the server, on the command's clock."""
    return pure_business_functions(office_calendar, clock.now)


def starts_on_a_timer(spec: Any) -> bool:
    """True when the process begins with a timer start event (it must be scheduled, not started
    by a person)."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        is_start = type(task_spec).__name__ == "StartEvent"
        if is_start and isinstance(definition, TimerEventDefinition):
            return True
    return False


def starts_by_hand(spec: Any) -> bool:
    """True when a person may start the process: it has a plain start event (not one waiting
    for a timer, a message or a signal), so a "New case" page may offer it."""
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ != "StartEvent":
            continue
        definition = getattr(task_spec, "event_definition", None)
        if definition is None or type(definition).__name__ == "NoneEventDefinition":
            return True
    return False


def message_start_names(spec: Any) -> frozenset[str]:
    """The messages that start the process (its start events that wait for a message): a
    message nobody waits for with one of these names starts a new instance."""
    names = set()
    for task_spec in spec.task_specs.values():
        definition: Any = getattr(task_spec, "event_definition", None)
        is_start = type(task_spec).__name__ == "StartEvent"
        if is_start and type(definition).__name__ == "MessageEventDefinition":
            names.add(str(definition.name))
    return frozenset(names)
