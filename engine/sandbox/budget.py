"""The script's time budget inside one process: a deadline per thread, checked by the tracer and
by the `_tick_` calls the policy plants; trusted helpers run off the budget."""

from __future__ import annotations

import functools
import math
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from engine.sandbox.errors import ScriptRejected, timed_out

_state = threading.local()
F = TypeVar("F", bound=Callable[..., Any])


def deadline() -> float | None:
    return getattr(_state, "deadline", None)


def set_deadline(value: float | None, limit: float | None = None) -> None:
    _state.deadline = value
    if limit is not None:
        _state.limit = limit


def check() -> None:
    """Raise ScriptTimeout when the current script is past its deadline."""
    current = getattr(_state, "deadline", None)
    if current is not None and time.monotonic() > current:
        raise timed_out(getattr(_state, "limit", 0.0))


def tick() -> bool:
    """The deadline check planted by the policy; also refuses script code run after its call."""
    if getattr(_state, "deadline", None) is None:
        raise ScriptRejected("script code cannot run outside its sandboxed call")
    check()
    return True


def trusted(function: F) -> F:
    """Run a trusted helper (calendar, standards) without charging its time to the script: the
    deadline moves by however long the helper took (e.g. building a year's holiday table)."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        saved = getattr(_state, "deadline", None)
        tracer = sys.gettrace()
        started = time.monotonic()
        if saved is not None:
            _state.deadline = math.inf  # the tracer and `_tick_` see no deadline meanwhile
        sys.settrace(None)  # the helper's own frames are not script lines
        try:
            return function(*args, **kwargs)
        finally:
            sys.settrace(tracer)
            if saved is not None:
                _state.deadline = saved + (time.monotonic() - started)

    return call  # type: ignore[return-value]
