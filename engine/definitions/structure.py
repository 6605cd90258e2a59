"""Structural checks a designer needs in words before the parser sees the file: duplicate
ids (the XSD's message is cryptic), interrupting timers that lead nowhere, and the shape of a
timer literal (ISO 8601 or a Quartz-style cron cycle)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from engine.definitions.problems import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
# Quartz / Camunda cron: seconds minutes hours day-of-month month day-of-week [year].
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#\-]+$")
_BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def problems(file: str, tree: Any) -> list[Problem]:
    return _duplicate_ids(file, tree) + _dead_end_timers(file, tree)


def _duplicate_ids(file: str, tree: Any) -> list[Problem]:
    counts = Counter(
        node.get("id") for node in tree.iter(f"{{{BPMN_NS}}}*") if node.get("id") is not None
    )
    return [
        Problem(
            file,
            ident,
            f"id {ident!r} is used by {count} elements; every id in a file must be different "
            "(rename the copies)",
        )
        for ident, count in counts.items()
        if count > 1
    ]


def _dead_end_timers(file: str, tree: Any) -> list[Problem]:
    """An interrupting boundary timer with no outgoing flow cancels its task and ends that
    path silently: refused, so a deadline never makes work disappear."""
    sources = {flow.get("sourceRef") for flow in tree.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    found = []
    for event in tree.iter(f"{{{BPMN_NS}}}boundaryEvent"):
        if event.find(f"{{{BPMN_NS}}}timerEventDefinition") is None:
            continue
        if event.get("cancelActivity", "true").strip().lower() == "false":
            continue
        if event.get("id") in sources or event.find(f"{{{BPMN_NS}}}outgoing") is not None:
            continue
        message = (
            "interrupting timer has no outgoing flow: when it fires the task is cancelled and "
            "nothing follows; connect it to the next step or make it non-interrupting"
        )
        found.append(Problem(file, event.get("id"), message))
    return found


def is_cron(text: str) -> bool:
    """A 6 or 7 field Quartz-style cron expression (`0 0 9 * * MON-FRI`)."""
    fields = text.split()
    return len(fields) in (6, 7) and all(_CRON_FIELD.match(f) for f in fields)


def is_bare_word(text: str) -> bool:
    return _BARE_WORD.match(text.strip()) is not None


def not_a_timer(value: str) -> str:
    return (
        f"timer {value!r} is not an ISO 8601 duration, date or cycle (e.g. PT4H, "
        "2027-01-04T09:00, R3/PT1H) nor a cron cycle (0 0 9 * * MON-FRI)"
    )


def camunda_dialect(node: Any) -> bool:
    """Whether the element's file speaks Camunda (its timer texts are then literals)."""
    if node is None:
        return False
    root = node.getroottree().getroot()
    return CAMUNDA_NS in (root.nsmap or {}).values()
