"""Run SpiffWorkflow for one command: state in, state plus effects out. No Flask, no database."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import (  # type: ignore[import-untyped]
    MultipleEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (  # type: ignore
    BoundaryEvent,
)
from SpiffWorkflow.exceptions import WorkflowException  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.specs.event_definitions import (  # type: ignore[import-untyped]
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from SpiffWorkflow.spiff.specs.event_definitions import (
    SignalEventDefinition as SpiffSignalEventDefinition,
)
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from engine.clock import Clock
from engine.deadlines.calendar import OfficeCalendar, default_calendar
from engine.deadlines.standards import for_office, load_standards, standard_function
from engine.errors import Invalid
from engine.runtime import external, start_timers, task_marks
from engine.runtime.deadline_capture import Capture
from engine.runtime.deadline_state import (
    apply_stored_deadlines,
    basis_of,
    pause_views,
    settle_captured_dues,
    stops_clocks,
    within_of,
)
from engine.runtime.errors import (
    MessageNotExpected,
    NothingToRetry,
    ServiceTaskFailed,
    TaskNotFound,
    TaskNotReady,
)
from engine.runtime.event_triggers import (
    ExternalWait,
    apply_event_subprocesses,
    conditional_waits,
    external_waits,
    prepare_spec,
    refresh_conditions,
)
from engine.runtime.prune import finished_human_tasks, prune_history
from engine.runtime.routing_values import ROUTING_KEY, resolved_routing
from engine.runtime.script_environment import SandboxedEnvironment
from engine.runtime.service_engine import RunContext, ServiceEngine
from engine.runtime.spiff import (
    TERMINATED_KEY,
    spec_from_json,
    using_clock,
    utc,
    workflow_from_json,
)
from engine.runtime.spiff import workflow_to_json as dump_state
from engine.runtime.thrown import expected_correlation, thrown_events, with_correlation_fields
from engine.runtime.timing import business_functions, is_cron_cycle, reschedule_cron
from engine.runtime.views import (
    HumanTaskView,
    IncidentView,
    MessageWaitView,
    Outcome,
    TimerView,
)
from engine.sandbox.budget import trusted
from engine.sandbox.errors import ScriptError
from engine.sandbox.helpers import describe_calendar
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.runner import SandboxRunner, shared_runner
from engine.statuses import InstanceStatus
from handlers import HandlerRegistry

MAX_AUTOMATIC_TASKS = 50_000  # per command: an endless automatic loop must not block a worker
PRUNE_EVERY = 20  # automatic tasks between prunes inside one command


class _Pause(Exception):  # noqa: N818 - control flow, never escapes _run_steps
    """Raised from Spiff's did_complete_task hook to stop a pass so the history can be pruned."""


class RunawayInstance(Exception):  # noqa: N818
    """Too many automatic tasks ran in one command."""


@dataclass(frozen=True)
class LoadedSpec:
    """A deployed definition's parsed spec; immutable, so shared by every instance."""

    spec: Any
    subprocess_specs: dict[str, Any]

    @classmethod
    def from_json(cls, text: str) -> LoadedSpec:
        spec, subs = spec_from_json(text)
        prepare_spec(spec)
        return cls(spec, subs)


class Runtime:
    """Applies one command to one workflow instance and reports what changed."""

    def __init__(
        self,
        registry: HandlerRegistry,
        clock: Clock,
        *,
        script_time_limit: float = 2.0,
        max_automatic_tasks: int = MAX_AUTOMATIC_TASKS,
        calendars: Mapping[str, OfficeCalendar] | None = None,
        standards: Mapping[str, Any] | None = None,
        sandbox: SandboxRunner | None = None,
    ):
        # Scripts run in sandbox processes; the pool starts on the first script, not here.
        self.sandbox = sandbox or shared_runner(SandboxLimits(time_limit=script_time_limit))
        self.calendars = dict(calendars or {})
        self.standards = dict(standards if standards is not None else load_standards(None))
        self.registry = registry
        self.clock = clock
        self.script_time_limit = script_time_limit
        self.max_automatic_tasks = max_automatic_tasks

    # -- commands ---------------------------------------------------------------------------

    def start(self, spec: LoadedSpec, data: Mapping[str, Any], run: RunContext) -> Outcome:
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=engine)
            start = workflow.task_tree
            start.data.update(copy.deepcopy(dict(data)))
            return self._advance(workflow, engine)

    def start_fired(self, spec: LoadedSpec, data: Mapping[str, Any], run: RunContext) -> Outcome:
        """A new instance of a timer-started process whose start timer fired just now."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=engine)
            workflow.task_tree.data.update(copy.deepcopy(dict(data)))
            workflow.do_engine_steps()  # the start events begin to wait
            start_timers.fire_start(workflow, self.clock.now())
            return self._advance(workflow, engine)

    def take_start_firings(
        self, spec: LoadedSpec, state: str, run: RunContext
    ) -> tuple[Outcome, int]:
        """A schedule instance's start timer fell due: how many new instances to start, and the
        schedule waiting for its next firing (completed when it has none left)."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            fired, finished = start_timers.take_firings(workflow)
            _reschedule_crons(workflow, self.clock.now())
            if finished:
                workflow.cancel()
                return self._outcome(workflow, engine, status=InstanceStatus.COMPLETED), fired
            return self._outcome(workflow, engine), fired

    def complete_task(
        self, spec: LoadedSpec, state: str, task_id: str, data: Mapping[str, Any], run: RunContext
    ) -> Outcome:
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            workflow.refresh_timers()
            self._run_steps(workflow)
            task = self._find(workflow, task_id)
            if task.state != TaskState.READY or not task.task_spec.manual:
                raise TaskNotReady(f"task {task_id} is not waiting for a person")
            task.data = copy.deepcopy(task.data)
            task.data.update(copy.deepcopy(dict(data)))
            _check_output_item(task)
            self._run_task(task)
            return self._advance(workflow, engine)

    def fire_timers(self, spec: LoadedSpec, state: str, run: RunContext) -> Outcome:
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            return self._advance(workflow, engine)

    def deliver_message(
        self, spec: LoadedSpec, state: str, name: str, payload: Any, run: RunContext
    ) -> Outcome:
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            workflow.refresh_timers()
            self._run_steps(workflow)
            waiting = [w for w in _message_waits(workflow) if w.name == name]
            if not waiting:
                raise MessageNotExpected(f"the instance is not waiting for message {name!r}")
            _merge_payload(waiting, payload)
            payload = with_correlation_fields(
                payload, [(w.definition, w.task) for w in waiting], _current_data(workflow)
            )
            # The instance's own correlation values: the caller routed the message here by them
            # (the wait index), so SpiffWorkflow's check must not refuse it for lacking them.
            event = BpmnEvent(
                SpiffMessageEventDefinition(name),
                payload=copy.deepcopy(payload),
                correlations=copy.deepcopy(dict(workflow.correlations)),
            )
            try:
                workflow.send_event(event)
            except Exception as exc:  # refused, or its correlation could not be read from it
                raise MessageNotExpected(f"the instance did not accept message {name!r}") from exc
            _merge_started_payload(workflow, waiting, payload)
            return self._advance(workflow, engine)

    def deliver_signal(
        self, spec: LoadedSpec, state: str, name: str, payload: Any, run: RunContext
    ) -> Outcome:
        """A signal broadcast to this instance: every catch, boundary and event subprocess
        start listening for it fires (MessageNotExpected when none listens)."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            workflow.refresh_timers()
            self._run_steps(workflow)
            waiting = [w for w in _external_waits(workflow, "signal") if w.name == name]
            if not waiting:
                raise MessageNotExpected(f"the instance is not waiting for signal {name!r}")
            _merge_payload(waiting, payload)
            event = BpmnEvent(SpiffSignalEventDefinition(name), payload=copy.deepcopy(payload))
            try:
                workflow.send_event(event)
            except WorkflowException as exc:
                raise MessageNotExpected(f"the instance did not accept signal {name!r}") from exc
            _merge_started_payload(workflow, waiting, payload)
            return self._advance(workflow, engine)

    def start_on_message(
        self, spec: LoadedSpec, name: str, payload: Mapping[str, Any], run: RunContext
    ) -> Outcome:
        """A new instance whose start event awaits message `name`, started by that message: the
        payload becomes the start data, then the message is caught like any other."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=engine)
            workflow.task_tree.data.update(copy.deepcopy(dict(payload)))
            self._run_steps(workflow)
            if not any(w.name == name for w in _message_waits(workflow)):
                raise MessageNotExpected(f"the process does not start on message {name!r}")
            event = BpmnEvent(SpiffMessageEventDefinition(name), payload=copy.deepcopy(payload))
            workflow.send_event(event)
            return self._advance(workflow, engine)

    def complete_external(
        self,
        spec: LoadedSpec,
        state: str,
        task_id: str,
        variables: Mapping[str, Any],
        run: RunContext,
    ) -> Outcome:
        """A worker finished an external task: its variables join the data, the process moves."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            task = self._external(workflow, task_id)
            external.finish(task, variables)
            return self._advance(workflow, engine)

    def external_error(
        self,
        spec: LoadedSpec,
        state: str,
        task_id: str,
        code: str,
        variables: Mapping[str, Any],
        run: RunContext,
    ) -> Outcome | None:
        """A worker's BPMN error with this code; None when no event catches it."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            task = self._external(workflow, task_id)
            if not external.throw_error(task, _all_tasks(workflow), code, variables):
                return None
            return self._advance(workflow, engine)

    def _external(self, workflow: Any, task_id: str) -> Any:
        task = self._find(workflow, task_id)
        if task.state != TaskState.STARTED or not external.is_external(task.task_spec):
            raise TaskNotReady(f"task {task_id} is not waiting for an external worker")
        return task

    def retry(self, spec: LoadedSpec, state: str, run: RunContext) -> Outcome:
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            failed = [t for t in _all_tasks(workflow) if t.state == TaskState.ERROR]
            if not failed and not _has_automatic_ready(workflow):  # runaway: READY, not ERROR
                raise NothingToRetry("the instance has no failed task")
            for task in failed:
                task._set_state(TaskState.READY)
            return self._advance(workflow, engine)

    def patch_failed_data(
        self, spec: LoadedSpec, state: str, data: Mapping[str, Any], run: RunContext
    ) -> Outcome:
        """Merge `data` into what the failed step(s) will run with; nothing runs until a retry.

        The fix for an incident caused by missing or wrong case data (a supervisor supplies the
        phone number the handler needed), so that `retry` then succeeds.
        """
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            failed = [t for t in _all_tasks(workflow) if t.state == TaskState.ERROR]
            if not failed:
                raise NothingToRetry("the instance has no failed step to fix")
            for task in failed:
                task.data = copy.deepcopy(task.data)
                task.data.update(copy.deepcopy(dict(data)))
            return self._outcome(workflow, engine)

    def failed_data(self, spec: LoadedSpec, state: str, run: RunContext) -> dict[str, Any]:
        """The data the failed step ran with (what an incident fix is merged into)."""
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            for task in _all_tasks(workflow):
                if task.state == TaskState.ERROR:
                    data = {k: v for k, v in task.data.items() if not k.startswith("spiff__")}
                    return dict(json.loads(json.dumps(data, default=str)))
            return {}

    def terminate(self, spec: LoadedSpec, state: str, run: RunContext) -> Outcome:
        engine = self._engine(run)
        with using_clock(self.clock):
            workflow = self._load(spec, state, engine)
            workflow.cancel()
            setattr(workflow, TERMINATED_KEY, True)
            return self._outcome(workflow, engine)

    # -- internals --------------------------------------------------------------------------

    def _engine(self, run: RunContext) -> ServiceEngine:
        calendar = run.calendar or self.calendar_for(run.office)
        office = _with_closures(calendar, run.closures)
        capture = Capture()
        functions = capture.wrap(
            {
                **business_functions(office, self.clock),
                "standard": standard_function(for_office(self.standards, run.office)),
            }
        )
        trusted_functions = {name: trusted(f) for name, f in functions.items()}

        def helpers(business_time: bool) -> dict[str, Any]:
            """What a sandbox process needs to offer the same functions: the office calendar
            (with closure days, read only when the code names business time), the standards
            and this command's "now" from the injected clock."""
            described: dict[str, Any] = {"now": self.clock.now().isoformat()}
            described["zone"] = calendar.timezone  # datetime.now() in scripts: office time
            described["standards"] = for_office(self.standards, run.office)
            if business_time:
                described["calendar"] = describe_calendar(office())
            return described

        env = SandboxedEnvironment(self.sandbox, trusted_functions, helpers)
        engine = ServiceEngine(env, self.registry, run, self.clock, calendar, capture)
        engine.office_calendar = office
        return engine

    def calendar_for(self, office: str) -> OfficeCalendar:
        return self.calendars.get(office) or self.calendars.get("default") or default_calendar()

    def _load(self, spec: LoadedSpec, state: str, engine: ServiceEngine) -> Any:
        workflow = workflow_from_json(state, spec.spec, spec.subprocess_specs)
        workflow.script_engine = engine
        _predict_childless(workflow)
        apply_stored_deadlines(_all_tasks(workflow), engine.run.deadlines)
        return workflow

    def _find(self, workflow: Any, task_id: str) -> Any:
        """The task with this id, in the process or any subprocess.

        A human task pruned from the history is remembered for a while, so completing it again
        is "not ready" (409), not "not found" (404).
        """
        try:
            key = UUID(task_id)
        except (ValueError, TypeError, AttributeError):
            key = None
        for owner in (workflow, *workflow.subprocesses.values()):
            if key is not None and key in owner.tasks:
                return owner.tasks[key]
        if task_id in finished_human_tasks(workflow):
            raise TaskNotReady(f"task {task_id} is already finished")
        raise TaskNotFound(f"task {task_id} is not part of this instance")

    def _run_task(self, task: Any) -> None:
        snapshot = copy.deepcopy(task.data)
        try:
            task.run()
        except Exception:
            task.data = snapshot
            raise

    def _run_steps(self, workflow: Any) -> None:
        """Run automatic tasks until only people, timers or messages can move the instance.

        Spiff's own loop walks the whole tree from the root for every pass and misses READY tasks
        deeper than its iterator depth limit, so the history is pruned every `PRUNE_EVERY`
        automatic tasks (a long automatic loop stays linear) and the READY set is checked
        directly. A runaway loop stops after `max_automatic_tasks` with an incident; `retry`
        continues it.
        """
        snapshots: dict[Any, Any] = {}
        ran = 0

        def before(task: Any) -> None:
            task.data = copy.deepcopy(task.data)
            snapshots[task.id] = copy.deepcopy(task.data)

        def after(task: Any) -> None:
            nonlocal ran
            snapshots.pop(task.id, None)
            ran += 1
            if ran % PRUNE_EVERY == 0 or ran >= self.max_automatic_tasks:
                raise _Pause

        try:
            while True:
                paused = False
                try:
                    workflow.do_engine_steps(will_complete_task=before, did_complete_task=after)
                except _Pause:
                    paused = True  # a full pass still has to run: it refreshes timers at its end
                prune_history(workflow)
                _reschedule_crons(workflow, self.clock.now())
                if not paused and _finish_exhausted_cycles(workflow):
                    continue
                if not paused and apply_event_subprocesses(workflow):
                    continue
                if not paused and conditional_waits(workflow):
                    if refresh_conditions(workflow, _current_data(workflow)):
                        continue
                if not paused and not _has_automatic_ready(workflow):
                    return
                if ran >= self.max_automatic_tasks:
                    raise RunawayInstance(
                        f"stopped after {ran} automatic steps without reaching a wait state "
                        "(an endless loop?); retry continues it"
                    )
        except Exception:
            for task in _all_tasks(workflow):
                if task.state == TaskState.ERROR and task.id in snapshots:
                    task.data = snapshots[task.id]
            raise

    def _advance(self, workflow: Any, engine: ServiceEngine) -> Outcome:
        try:
            self._run_steps(workflow)
        except Exception as exc:
            return self._outcome(workflow, engine, incident=_incident(workflow, exc))
        return self._outcome(workflow, engine)

    def _outcome(
        self,
        workflow: Any,
        engine: ServiceEngine,
        *,
        incident: IncidentView | None = None,
        status: str | None = None,
    ) -> Outcome:
        prune_history(workflow)
        settle_captured_dues(_all_tasks(workflow))
        if status is None and getattr(workflow, TERMINATED_KEY, False):
            status = InstanceStatus.TERMINATED
        if status is None:
            failed = any(t.state == TaskState.ERROR for t in _all_tasks(workflow))
            if incident is not None or failed:  # a failed task blocks until retried
                status = InstanceStatus.ERROR
            else:
                status = InstanceStatus.COMPLETED if workflow.completed else InstanceStatus.WAITING
        over = status == InstanceStatus.TERMINATED
        open_tasks = [] if over else _open_human_tasks(workflow)
        timers = [] if over else _timers(workflow)
        waits = [] if over else _message_wait_views(workflow)
        externals = None
        if _has_external(workflow):
            externals = [] if over else external.external_views(_all_tasks(workflow))
        pauses = [] if over else pause_views(_all_tasks(workflow))
        return Outcome(
            state=dump_state(workflow),
            status=status,
            open_tasks=open_tasks,
            timers=timers,
            message_waits=waits,
            data=_current_data(workflow),
            incident=incident,
            outbox=list(engine.outbox),
            starts=list(engine.starts),
            thrown=thrown_events(workflow, lambda: _all_specs(workflow)),
            closes=list(engine.closes),
            external_tasks=externals,
            pauses=pauses,
            stops_clocks=stops_clocks(workflow),
            calendar=engine.office_calendar,
        )


# -- reading the workflow ---------------------------------------------------------------------


def _all_tasks(workflow: Any) -> list[Any]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def _check_output_item(task: Any) -> None:
    """One instance of a multi-instance task must give its output item (the loop collects
    it); without it SpiffWorkflow fails after the fact. Refused as bad input, naming it."""
    parent = task.parent
    loop = getattr(parent, "task_spec", None)
    item = getattr(loop, "output_item", None)
    if item is None or getattr(loop, "data_output", None) is None:
        return
    name = getattr(item, "bpmn_id", None)
    if name and name not in task.data:
        raise Invalid(f"{name!r} is required: each instance of this task adds one", field=name)


def _all_specs(workflow: Any) -> list[Any]:
    specs = list(workflow.spec.task_specs.values())
    for sub in workflow.subprocess_specs.values():
        specs.extend(sub.task_specs.values())
    return specs


def _has_external(workflow: Any) -> bool:
    """Whether the process (or a subprocess of it) has an external task; cached on the spec,
    which is parsed once per definition and shared."""
    spec = workflow.spec
    known = getattr(spec, "_caseway_has_external", None)
    if known is None:
        specs = list(spec.task_specs.values())
        for sub in workflow.subprocess_specs.values():
            specs.extend(sub.task_specs.values())
        known = external.spec_has_external(specs)
        spec._caseway_has_external = known
    return bool(known)


def _finish_exhausted_cycles(workflow: Any) -> bool:
    """A cycle timer that used its last repetition only ends on the next refresh; do it now, so
    it neither lingers as a due timer nor keeps the instance from completing."""
    exhausted = False
    for task in _all_tasks(workflow):
        value = task.internal_data.get("event_value") if task.state == TaskState.WAITING else None
        if isinstance(value, dict) and value.get("cycles") == 0:
            exhausted = True
    if exhausted:
        workflow.refresh_timers()
    return exhausted


def _predict_childless(workflow: Any) -> None:
    """A ready task without children (a case moved onto a step that gained boundary events,
    engine.runtime.state_moves) gets its predicted children, as Spiff gives every other one, so
    completing it opens what follows."""
    for owner in (workflow, *workflow.subprocesses.values()):
        if any(
            task.state == TaskState.READY and not task.children and task.task_spec.outputs
            for task in owner.tasks.values()
        ):
            owner._predict()


def _reschedule_crons(workflow: Any, now: datetime) -> None:
    """Cron cycles that fired wait for their next real firing (runtime/timing.py)."""
    zone = getattr(getattr(workflow.script_engine, "calendar", None), "zone", None)
    if zone is None or not _has_cron(workflow):
        return
    for task in _all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition) and zone is not None:
            reschedule_cron(definition, task.internal_data, now, zone)


def _has_cron(workflow: Any) -> bool:
    """Whether any timer of the definition is a cron cycle (worked out once per spec)."""
    spec = workflow.spec
    cached = getattr(spec, "_caseway_has_cron", None)
    if cached is None:
        cached = False
        for task_spec in _all_specs(workflow):
            definition = getattr(task_spec, "event_definition", None)
            candidates = [definition, *(getattr(definition, "event_definitions", None) or [])]
            if any(
                isinstance(d, TimerEventDefinition) and is_cron_cycle(d, d.expression or "")
                for d in candidates
            ):
                cached = True
        spec._caseway_has_cron = cached
    return bool(cached)


def _has_automatic_ready(workflow: Any) -> bool:
    return any(
        task.state == TaskState.READY and not task.task_spec.manual for task in _all_tasks(workflow)
    )


def _open_human_tasks(workflow: Any) -> list[HumanTaskView]:
    views = []
    for task in _all_tasks(workflow):
        if task.state != TaskState.READY or not task.task_spec.manual:
            continue
        spec = task.task_spec
        extensions = getattr(spec, "extensions", {}) or {}
        properties = dict(extensions.get("properties", {}))
        data = task.data if isinstance(task.data, dict) else {}
        views.append(
            HumanTaskView(
                task_id=str(task.id),
                name=spec.bpmn_id,
                title=spec.bpmn_name or spec.bpmn_id,
                lane=spec.lane,
                properties=properties,
                instructions=extensions.get("instructionsForEndUser"),
                priority=task_marks.priority_of(properties, data),
                detail=task_marks.detail_of(properties, data),
                routing=resolved_routing(extensions.get(ROUTING_KEY), data),
                within=within_of(workflow, task),
            )
        )
    return views


def catches(task: Any) -> list[tuple[Any, Any]]:
    """(event definition, catching event spec) pairs a waiting task listens for.

    An event-based gateway waits itself, with SpiffWorkflow's MultipleEventDefinition holding
    the definitions of the catch events that follow it; those events name the wait.
    """
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        # The parser builds the gateway's definitions from its outgoing events, in order.
        outputs = list(getattr(task.task_spec, "outputs", []))
        inner = list(definition.event_definitions)
        if len(outputs) != len(inner):
            outputs = [task.task_spec] * len(inner)
        return list(zip(inner, outputs, strict=True))
    return [(definition, task.task_spec)] if definition is not None else []


def _timers(workflow: Any) -> list[TimerView]:
    views = []
    for task in _all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        for definition, spec in catches(task):
            if not isinstance(definition, TimerEventDefinition):
                continue
            due = _due_time(task.internal_data.get("event_value"))
            if due is None:
                continue
            attached, interrupting = _attachment(task)
            views.append(
                TimerView(str(task.id), spec.bpmn_id, due, attached, interrupting, basis_of(task))
            )
            break  # one timer row per waiting task: its event_value is the one due time
    return views


def _due_time(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _attachment(task: Any) -> tuple[str | None, bool]:
    """For a boundary timer: the task it is attached to, and whether it interrupts it."""
    if not isinstance(task.task_spec, BoundaryEvent):
        return None, False
    parent = task.parent
    for sibling in parent.children if parent is not None else []:
        if not isinstance(sibling.task_spec, BoundaryEvent):
            return str(sibling.id), bool(task.task_spec.cancel_activity)
    return None, bool(task.task_spec.cancel_activity)


def _waiting_catches(workflow: Any) -> list[tuple[Any, Any, Any]]:
    """(task, definition, catching spec) for every event a waiting task listens for."""
    found: list[tuple[Any, Any, Any]] = []
    for task in _all_tasks(workflow):
        if task.state == TaskState.WAITING:
            found.extend((task, definition, spec) for definition, spec in catches(task))
    return found


def _external_waits(workflow: Any, kind: str | None = None) -> list[ExternalWait]:
    waits = external_waits(workflow, _waiting_catches(workflow))
    return [w for w in waits if kind is None or w.kind == kind]


def _message_waits(workflow: Any) -> list[ExternalWait]:
    """Every message the instance can catch now (catch events, boundaries, event subprocess
    starts)."""
    return _external_waits(workflow, "message")


def _message_wait_views(workflow: Any) -> list[MessageWaitView]:
    """The index rows: message waits with their correlation, and signal waits ("signal:x")."""
    waits = _external_waits(workflow)
    if not waits:
        return []
    case_data = _current_data(workflow)
    return [
        MessageWaitView(
            wait.wait_id,
            wait.index_name,
            _correlation_of(wait.task, wait.spec, case_data, wait.definition)
            if wait.kind == "message"
            else None,
        )
        for wait in waits
    ]


def _correlation_of(
    task: Any, spec: Any, case_data: Mapping[str, Any], definition: Any = None
) -> str | None:
    data = {**case_data, **(task.data if task is not None else {})}
    standard = expected_correlation(definition, data)
    if standard is not None:
        return canonical_correlation(standard)
    properties = (getattr(spec, "extensions", None) or {}).get("properties", {})
    if "correlationKeys" not in properties and task is not None:
        properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
    keys = [k.strip() for k in properties.get("correlationKeys", "").split(",") if k.strip()]
    if not keys:
        return None
    data = task.data if task is not None else {}
    values = {}
    for key in keys:
        value = data.get(key, case_data.get(key))
        if value is None:
            return None
        values[key] = str(value)
    return canonical_correlation(values)


def canonical_correlation(values: Mapping[str, Any]) -> str:
    """One spelling per correlation, so waits are found by an indexed equality lookup."""
    return json.dumps({str(k): str(v) for k, v in sorted(values.items())}, separators=(",", ":"))


def _current_data(workflow: Any) -> dict[str, Any]:
    """The process data a person would call "the case data" right now.

    The latest completed task anywhere, subprocesses included: while a subprocess waits for a
    person, its progress is the case's progress.
    """
    if workflow.completed and workflow.last_task is not None:
        source = workflow.last_task
    else:
        source, latest = workflow.task_tree, None
        for task in _all_tasks(workflow):
            if task.state == TaskState.COMPLETED and (
                latest is None or task.last_state_change >= latest
            ):
                source, latest = task, task.last_state_change
    data = {k: v for k, v in source.data.items() if not k.startswith("spiff__")}
    return json.loads(json.dumps(data, default=str))


def _incident(workflow: Any, exc: Exception) -> IncidentView:
    tasks = _all_tasks(workflow)
    failed = next((t for t in tasks if t.state == TaskState.ERROR), None)
    if failed is None and isinstance(exc, RunawayInstance):
        failed = next(
            (t for t in tasks if t.state == TaskState.READY and not t.task_spec.manual), None
        )
    task = getattr(exc, "task", None) or failed
    kind = "service" if _caused_by(exc, ServiceTaskFailed) else "script"
    return IncidentView(
        task_id=str(task.id) if task is not None else None,
        task_name=task.task_spec.bpmn_id if task is not None else None,
        kind=kind,
        message=_describe(exc),
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or getattr(seen, "error", None) or seen.__context__
        if seen is exc:
            return False
    return False


def _describe(exc: BaseException) -> str:
    """The incident's text: a handler's own message; for the sandbox, the rule or limit it
    enforced (never SpiffWorkflow's generic "Error evaluating expression"), with SpiffWorkflow's
    notes saying where (which DMN rule row, which business rule task)."""
    seen: BaseException | None = exc
    notes: list[str] = []
    while seen is not None:
        if isinstance(seen, ServiceTaskFailed):
            return str(seen)
        notes.extend(str(n) for n in getattr(seen, "notes", None) or [])
        if isinstance(seen, ScriptError):
            where = f" ({'; '.join(reversed(notes))})" if notes else ""
            return f"{type(seen).__name__}: {seen}{where}"
        seen = seen.__cause__ or getattr(seen, "error", None) or seen.__context__
        if seen is exc:
            break
    return f"{type(exc).__name__}: {exc}"


def _merge_payload(waiting: list[ExternalWait], payload: Any) -> None:
    """A payload without a variable to land in is merged into the catching task's data."""
    if not isinstance(payload, dict):
        return
    for wait in waiting:
        if wait.task is not None and getattr(wait.definition, "message_var", None) is None:
            wait.task.data = copy.deepcopy(wait.task.data)
            wait.task.data.update(copy.deepcopy(payload))


def _merge_started_payload(workflow: Any, waiting: list[ExternalWait], payload: Any) -> None:
    """The same for an event subprocess the event just started: its start event's data."""
    if not isinstance(payload, dict) or all(w.task is not None for w in waiting):
        return
    starts = {w.spec.name for w in waiting if w.task is None}
    for sub in workflow.subprocesses.values():
        for task in sub.tasks.values():
            if task.task_spec.name in starts and task.state in (
                TaskState.READY,
                TaskState.COMPLETED,
            ):
                if getattr(task.task_spec.event_definition, "message_var", None) is None:
                    task.data = copy.deepcopy(task.data)
                    for key, value in payload.items():
                        task.data.setdefault(key, copy.deepcopy(value))


def _with_closures(
    calendar: OfficeCalendar, closures: Callable[[], Iterable[date]] | None
) -> Callable[[], OfficeCalendar]:
    """The calendar with the office's closure days, loaded on first use and then kept."""
    if closures is None:
        return lambda: calendar

    @functools.cache
    def resolve() -> OfficeCalendar:
        return dataclasses.replace(calendar, closures=calendar.closures | frozenset(closures()))

    return resolve
