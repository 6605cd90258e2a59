"""Deploy checks for the `pausesStandard` property (clocks that stop; docs/timers.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.deadlines.standards import DEFAULTS
from engine.runtime.deadline_state import PAUSES_PROPERTY, pauses_standard
from engine.runtime.parse_errors import is_timer_definition

# Elements that wait: a person's task (the caseworker records the client's answer), a receive
# task or an intermediate catch event (the client's answer arrives as a message).
WAITING_KINDS = ("UserTask", "ManualTask", "ReceiveTask", "IntermediateCatchEvent")


def pause_problems(specs: Iterable[Any]) -> list[tuple[str, str]]:
    """(element id, message) for each `pausesStandard` that names nothing, or sits on an
    element that never waits."""
    specs = list(specs)
    timers = {s.bpmn_id for s in specs if is_timer_definition(getattr(s, "event_definition", None))}
    problems = []
    for spec in specs:
        named = pauses_standard(spec)
        if named is None:
            continue
        element = spec.bpmn_id
        if not any(kind in type(spec).__name__ for kind in WAITING_KINDS):
            problems.append(
                (
                    element,
                    f"{PAUSES_PROPERTY} belongs on an element that waits on the client (a user "
                    "task, a receive task or an intermediate catch event)",
                )
            )
        elif named not in DEFAULTS and named not in timers:
            problems.append(
                (
                    element,
                    f"{PAUSES_PROPERTY} {named!r} is neither a service standard nor a timer of "
                    "this process",
                )
            )
    return problems
