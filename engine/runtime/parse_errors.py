"""What a SpiffWorkflow parse failure or spec object is, told without SpiffWorkflow's types.

Deploy-time checks (engine.definitions) report problems per BPMN element; these helpers keep the
library's exception and event classes inside the runtime package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import (  # type: ignore[import-untyped]
    ValidationException,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.exceptions import (  # type: ignore[import-untyped]
    SpiffWorkflowException,
    WorkflowException,
)


@dataclass(frozen=True)
class ParseFailure:
    """A parser error as the deploy report needs it: where and what (None when not Spiff's)."""

    message: str
    file_name: str | None = None
    element_id: str | None = None
    line_number: int | None = None
    from_validation: bool = False


def parse_failure(exc: Exception) -> ParseFailure | None:
    """The library's own account of a failure, or None for an exception it did not raise."""
    if isinstance(exc, ValidationException):
        line = getattr(exc, "line_number", None)
        return ParseFailure(
            str(exc),
            file_name=getattr(exc, "file_name", None) or None,
            element_id=getattr(exc, "id", None) or None,
            line_number=line if isinstance(line, int) else None,
            from_validation=True,
        )
    if isinstance(exc, WorkflowException):
        element = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
        return ParseFailure(str(exc), element_id=element)
    if isinstance(exc, SpiffWorkflowException):
        return ParseFailure(str(exc))
    return None


def is_timer_definition(definition: Any) -> bool:
    return isinstance(definition, TimerEventDefinition)


def timer_kind(definition: Any) -> str:
    """ "cycle", "duration" or "date": which kind of value a timer definition wants."""
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    return "date"
