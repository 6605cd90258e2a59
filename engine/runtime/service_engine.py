"""The script engine a command runs with: restricted scripts, handler calls, business time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    TimerEventDefinition,
)

from engine.clock import Clock
from engine.deadlines.calendar import OfficeCalendar
from engine.runtime.deadline_capture import DEADLINE_KEY, Capture
from engine.runtime.errors import ServiceTaskFailed
from engine.runtime.timing import timer_value
from handlers import (
    BusinessError,
    HandlerContext,
    HandlerError,
    HandlerRegistry,
    OutboxMessage,
    ProcessStart,
)


@dataclass(frozen=True)
class RunContext:
    """Which case a command runs for; handlers and business-time functions read it."""

    instance_id: str
    business_key: str
    office: str = "default"
    calendar: OfficeCalendar | None = None
    # The office's closure days, read only when a deadline is computed in business time (most
    # steps compute none, so most commands never read them).
    closures: Callable[[], Iterable[date]] | None = None
    # The due times of the instance's business-time deadlines as the database holds them
    # (moved by a calendar change, parked while a clock is stopped), read only when the
    # instance has such a timer waiting: they replace the due times in the state.
    deadlines: Callable[[], Mapping[str, datetime]] | None = None


class ServiceEngine(PythonScriptEngine):
    """Service calls go to registered handlers with real error messages (SpiffWorkflow's own
    engine masks them as a NameError); timer values are normalized for the office."""

    def __init__(
        self,
        environment: Any,
        registry: HandlerRegistry,
        run: RunContext,
        clock: Clock,
        calendar: OfficeCalendar,
        capture: Capture | None = None,
    ) -> None:
        super().__init__(environment=environment)
        self.capture = capture or Capture()
        # The office calendar with its closure days (read on first call), for the Outcome.
        self.office_calendar: Callable[[], OfficeCalendar] = lambda: calendar
        self.registry = registry
        self.run = run
        self.clock = clock
        self.calendar = calendar
        self.outbox: list[OutboxMessage] = []
        self.starts: list[ProcessStart] = []
        self.closes: list[str] = []

    def evaluate(self, task: Any, expression: Any, external_context: Any = None) -> Any:
        definition = _timer_with(task, expression)
        if definition is not None:
            with self.capture.recording() as calls:
                value = timer_value(
                    definition,
                    expression,
                    lambda: calls.keep(
                        super(ServiceEngine, self).evaluate(task, expression, external_context)
                    ),
                    self.clock.now(),
                    self.calendar.zone,
                )
            found = calls.basis()
            if found is not None:
                basis, due = found
                # "due" is the exact moment (a duration loses the fraction of a second);
                # the runtime puts it in place of Spiff's once the timer is scheduled.
                task.internal_data[DEADLINE_KEY] = {**basis.as_dict(), "due": due.isoformat()}
            else:
                task.internal_data.pop(DEADLINE_KEY, None)
            return value
        return super().evaluate(task, expression, external_context)

    def call_service(self, task: Any, **kwargs: Any) -> str:
        operator = kwargs["operation_name"]
        params = {name: p["value"] for name, p in kwargs.get("operation_params", {}).items()}
        handler = self.registry.get(operator)
        if handler is None:
            raise ServiceTaskFailed(operator, "no handler is registered under this name")
        ctx = HandlerContext(
            instance_id=self.run.instance_id,
            business_key=self.run.business_key,
            task_name=task.task_spec.bpmn_id,
            now=self.clock.now(),
        )
        try:
            result = handler.call(ctx, params)
        except BusinessError as exc:
            raise ServiceTaskFailed(operator, str(exc), business_code=exc.code) from exc
        except HandlerError as exc:
            raise ServiceTaskFailed(operator, str(exc)) from exc
        except Exception as exc:  # a handler bug is still this service task's failure
            raise ServiceTaskFailed(operator, f"{type(exc).__name__}: {exc}") from exc
        try:
            encoded = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as exc:
            message = f"the handler returned a value that is not JSON ({exc})"
            raise ServiceTaskFailed(operator, message) from exc
        self.outbox.extend(ctx.outbox)
        self.starts.extend(ctx.starts)
        self.closes.extend(ctx.closes)
        return encoded


def _timer_with(task: Any, expression: Any) -> Any:
    """The timer definition (plain, or one of an event-based gateway's) this expression is."""
    definition = getattr(task.task_spec, "event_definition", None)
    candidates = [definition, *(getattr(definition, "event_definitions", None) or [])]
    for candidate in candidates:
        if isinstance(candidate, TimerEventDefinition) and candidate.expression == expression:
            return candidate
    return None
