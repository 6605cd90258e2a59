"""What the runtime tells its caller after a command: plain, frozen values, no Spiff objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.deadlines.basis import Basis
from engine.deadlines.calendar import OfficeCalendar
from engine.runtime.external import ExternalTaskView
from handlers import OutboxMessage, ProcessStart

if TYPE_CHECKING:
    from engine.runtime.thrown import ThrownEvent


@dataclass(frozen=True)
class HumanTaskView:
    """A READY user or manual task: the thing a person must do next."""

    task_id: str
    name: str
    title: str
    lane: str | None
    properties: dict[str, str]
    instructions: str | None = None
    priority: int = 0  # 0 normal, 1 high, 2 urgent (runtime/task_marks.py)
    detail: str | None = None  # e.g. the need and partner of a referral
    # Who the task is for, as the deploy read it (engine.definitions.routing), `${name}`
    # values read from the case data; empty for definitions deployed before routing existed.
    routing: dict[str, Any] = field(default_factory=dict)
    # The subprocess tasks it runs inside, innermost first: a deadline on a subprocess dates
    # the tasks within it.
    within: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimerView:
    task_id: str
    name: str
    due_at: datetime
    attached_to: str | None
    interrupting: bool
    # How a business-time due time was computed (None for plain ISO values and cycles).
    basis: Basis | None = None


@dataclass(frozen=True)
class PauseView:
    """An element waiting on the client whose `pausesStandard` property stops a clock: the
    standard key (or timer id) it names."""

    task_id: str
    name: str
    standard: str


# A signal wait's name in the message_wait index: "signal:<name>" (a message wait's is its name).
SIGNAL_PREFIX = "signal:"


@dataclass(frozen=True)
class MessageWaitView:
    """A catch event waiting for a message; `correlation` is canonical JSON of the keys named by
    its `correlationKeys` property and their values in the case data (or None)."""

    task_id: str
    message_name: str
    correlation: str | None = None


@dataclass(frozen=True)
class IncidentView:
    task_id: str | None
    task_name: str | None
    kind: str
    message: str


@dataclass
class Outcome:
    """The instance after a command ran it until it waits (or failed)."""

    state: str
    status: str
    open_tasks: list[HumanTaskView]
    timers: list[TimerView]
    message_waits: list[MessageWaitView]
    data: dict[str, Any]
    incident: IncidentView | None = None
    outbox: list[OutboxMessage] = field(default_factory=list)
    starts: list[ProcessStart] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)  # close reasons asked for by handlers
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    thrown: list[ThrownEvent] = field(default_factory=list)  # messages/signals for others
    # Tasks waiting for an external worker; None when the process has no external task at all
    # (then there are no rows to keep in step).
    external_tasks: list[ExternalTaskView] | None = None
    pauses: list[PauseView] = field(default_factory=list)
    # Whether the diagram has any element that stops a clock (else no pause rows to compare).
    stops_clocks: bool = False
    # The office calendar of the command (closure days read on first call).
    calendar: Callable[[], OfficeCalendar] | None = None
