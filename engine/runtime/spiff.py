"""The one adapter around SpiffWorkflow: parser, serializer and clock wiring.

Every `type: ignore` for SpiffWorkflow lives here or in the runtime package, nowhere else.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser.event_parsers import (  # type: ignore[import-untyped]
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import full_tag  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer.default.workflow import (  # type: ignore[import-untyped]
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import (  # type: ignore[import-untyped]
    StartEvent as SpiffStartEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer  # type: ignore
from SpiffWorkflow.spiff.parser.event_parsers import (  # type: ignore[import-untyped]
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.specs.defaults import (  # type: ignore[import-untyped]
    BusinessRuleTask as SpiffBusinessRuleTask,
)

from engine.clock import Clock, SystemClock
from engine.runtime import decisions, external

# -- clock ---------------------------------------------------------------------------------
# SpiffWorkflow's timer module calls datetime.now(timezone.utc) directly. We swap that module's
# `datetime` name for a subclass whose now() asks the clock of the command being run.

_SYSTEM_CLOCK = SystemClock()
_current_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar(
    "caseway_clock", default=None
)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = (_current_clock.get() or _SYSTEM_CLOCK).now()
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


spiff_timer.datetime = _ClockedDatetime


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- parsing --------------------------------------------------------------------------------


# Set on the start events of event subprocesses only: BPMN isInterrupting (default true).
INTERRUPTING_KEY = "caseway_interrupting"


class _StartEventParser(SpiffStartEventParser):
    """Keeps a start event's `isInterrupting` (SpiffWorkflow drops it) in its extensions, so an
    interrupting event subprocess can end the flow it interrupts (runtime/event_triggers.py).

    Also reads error and escalation start events: SpiffWorkflow's parser ignores their
    definitions, so an error event subprocess started with the process, as if it had none.
    """

    def create_task(self) -> Any:
        definition = self.get_event_definition(
            [
                MESSAGE_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
                TIMER_EVENT_XPATH,
                CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
                ESCALATION_EVENT_XPATH,
            ]
        )
        task = self._create_task(definition)
        self.spec.start.connect(task)
        return task

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        extensions: dict[str, Any] = dict(super().parse_extensions(node))
        parent = self.node.getparent()
        in_event_subprocess = parent is not None and parent.get("triggeredByEvent") == "true"
        if node is None and in_event_subprocess:
            flag = (self.node.get("isInterrupting") or "true").strip().lower()
            extensions[INTERRUPTING_KEY] = flag != "false"
        return extensions


class _CasewayParser(SpiffBpmnParser):
    # Camunda/Zeebe external tasks wait for a worker (engine/runtime/external.py).
    OVERRIDE_PARSER_CLASSES = external.parser_classes(
        {
            **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
            full_tag("startEvent"): (_StartEventParser, SpiffStartEvent),
        }
    )

    def add_dmn_xml(self, node: Any, filename: str | None = None) -> None:
        decisions.add_dmn_xml(self, node, filename)

    def get_engine(self, decision_ref: str, node: Any) -> Any:
        return decisions.engine_for(self, decision_ref, node)


def new_parser() -> Any:
    """A Spiff-dialect parser; the XSD validator catches structural mistakes early."""
    from SpiffWorkflow.spiff.parser.process import VALIDATOR

    return _CasewayParser(validator=VALIDATOR)


# -- serialization --------------------------------------------------------------------------


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; the spec is stored once per definition."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> Any:
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecFreeWorkflowConverter
    config[SpiffBusinessRuleTask] = decisions.DecisionTaskConverter
    config.update(external.SERIALIZER_CONFIG)
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()
STATE_FORMAT = 1
# A task spec extension set at deploy on plain and manual tasks that run straight through.
PASS_THROUGH_KEY = "caseway_pass_through"
FINISHED_KEY = "caseway_finished_human_tasks"  # see engine.runtime.prune.finished_human_tasks
TERMINATED_KEY = "caseway_terminated"  # set by Runtime.terminate; Spiff cannot tell it apart
# from a terminate end event (both are `cancel()`), and the instance must stay "terminated".


def spec_to_json(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    registry = SERIALIZER.registry
    return json.dumps(
        {
            "spec": registry.convert(spec),
            "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
        },
        sort_keys=False,
    )


def spec_from_json(text: str) -> tuple[Any, dict[str, Any]]:
    registry = SERIALIZER.registry
    dct = json.loads(text)
    spec = registry.restore(dct["spec"])
    subs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    for process in (spec, *subs.values()):
        _restore_pass_through(process)
    return spec, subs


def _restore_pass_through(process: Any) -> None:
    """Plain and manual tasks set to pass through: their spec classes set `manual` again
    when restored, so the flag the deploy stored decides."""
    for task_spec in process.task_specs.values():
        extensions = getattr(task_spec, "extensions", None)
        if isinstance(extensions, dict) and extensions.get(PASS_THROUGH_KEY):
            task_spec.manual = False


def workflow_to_json(workflow: Any) -> str:
    """Key order matters to SpiffWorkflow's delta encoding: store as text, never JSONB."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = registry.convert(workflow)
        dct["caseway_format"] = STATE_FORMAT
        dct[FINISHED_KEY] = list(getattr(workflow, FINISHED_KEY, None) or [])
        dct[TERMINATED_KEY] = bool(getattr(workflow, TERMINATED_KEY, False))
        return json.dumps(dct, cls=SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def workflow_from_json(text: str, spec: Any, subprocess_specs: dict[str, Any]) -> Any:
    dct = json.loads(text)
    if dct.pop("caseway_format", None) != STATE_FORMAT:
        raise ValueError("unknown instance state format")
    finished = dct.pop(FINISHED_KEY, [])
    terminated = dct.pop(TERMINATED_KEY, False)
    converter = SERIALIZER.registry
    typename = converter.typenames[BpmnWorkflow]
    workflow = converter.convert_from_dict[typename](
        dct, spec=spec, subprocess_specs=subprocess_specs
    )
    setattr(workflow, FINISHED_KEY, list(finished))
    setattr(workflow, TERMINATED_KEY, bool(terminated))
    return workflow
