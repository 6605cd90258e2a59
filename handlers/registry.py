"""Service-task handlers: plain functions registered by operator name.

A handler receives a `HandlerContext` and keyword parameters declared in its signature. It must
not do database I/O itself: side effects it wants recorded (notifications, referrals) go through
`ctx.emit`, and the command that ran it writes them in its own transaction.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_type_hints


class HandlerError(Exception):
    """A handler failed; the instance goes into error with an incident until retried."""


class HandlerInputError(HandlerError):
    """The diagram passed parameters that do not fit the handler's signature."""


class BusinessError(Exception):
    """An expected business outcome (e.g. partner refused): becomes a BPMN error event."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class OutboxMessage:
    """`kind` names a notice template (notices/<kind>.<lang>.txt) rendered at dispatch in the
    client's language; without it `subject` and `body` are sent as written."""

    channel: str
    recipient: str
    subject: str
    body: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    kind: str = ""


@dataclass(frozen=True)
class ProcessStart:
    """A request to start another process (e.g. one warm referral per need), carried out in the
    same transaction as the step that asked for it."""

    process_id: str
    business_key: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class HandlerContext:
    """What a handler may know about the task that called it, and where it puts effects."""

    instance_id: str
    business_key: str
    task_name: str
    now: datetime
    outbox: list[OutboxMessage] = field(default_factory=list)
    starts: list[ProcessStart] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)

    def emit(self, message: OutboxMessage) -> None:
        self.outbox.append(message)

    def close_case(self, reason: str) -> None:
        """Ask for the case to be closed with `reason` when this step's transaction commits
        (the case's other processes are stopped; this one runs on to its end)."""
        self.closes.append(reason)

    def start_process(self, process_id: str, business_key: str, data: Mapping[str, Any]) -> None:
        self.starts.append(ProcessStart(process_id, business_key, dict(data)))


HandlerFunc = Callable[..., Any]
_SIMPLE_TYPES = (str, int, float, bool, dict, list)


@dataclass(frozen=True)
class Handler:
    name: str
    func: HandlerFunc
    params: Mapping[str, inspect.Parameter]
    types: Mapping[str, Any]

    def call(self, ctx: HandlerContext, arguments: Mapping[str, Any]) -> Any:
        return self.func(ctx, **self.bind(arguments))

    def bind(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check arguments against the declared parameters before the handler runs."""
        unknown = sorted(set(arguments) - set(self.params))
        if unknown:
            raise HandlerInputError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}")
        missing = [
            name
            for name, param in self.params.items()
            if param.default is inspect.Parameter.empty and name not in arguments
        ]
        if missing:
            raise HandlerInputError(f"{self.name}: missing parameter(s) {', '.join(missing)}")
        for name, value in arguments.items():
            expected = self.types.get(name)
            if expected in _SIMPLE_TYPES and not _fits(value, expected):
                raise HandlerInputError(
                    f"{self.name}: parameter {name} must be {expected.__name__}, "
                    f"got {type(value).__name__}"
                )
        return dict(arguments)


def _fits(value: Any, expected: type) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


class HandlerRegistry:
    """Operator name → handler. Diagrams are checked against it at deploy time."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, func: HandlerFunc) -> HandlerFunc:
        if name in self._handlers:
            raise ValueError(f"handler {name!r} is already registered")
        signature = inspect.signature(func)
        params = dict(signature.parameters)
        if not params:
            raise TypeError(f"handler {name!r} must take a HandlerContext as first parameter")
        params.pop(next(iter(params)))
        hints = get_type_hints(func)
        self._handlers[name] = Handler(name, func, params, hints)
        return func

    def handler(self, name: str) -> Callable[[HandlerFunc], HandlerFunc]:
        def decorate(func: HandlerFunc) -> HandlerFunc:
            return self.register(name, func)

        return decorate

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def names(self) -> list[str]:
        return sorted(self._handlers)
