"""Noticing how a timer's due time was computed, while its expression is evaluated.

The business-time functions and `standard()` report their calls to a Capture; when a timer
expression's value is exactly what one `business_days`/`business_hours` call returned, that
call is the timer's basis and is stored with the timer (so the due time can be computed again
when the calendar changes). Expressions evaluated in a sandbox process (not bounded ones) are
not seen: those timers keep the due time they got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.deadlines.basis import UNITS, Basis

DEADLINE_KEY = "caseway_deadline"  # in a timer task's internal_data


@dataclass
class Calls:
    """What one timer expression called, and what it gave."""

    business: list[tuple[str, datetime, float, datetime]] = field(default_factory=list)
    standards: list[str] = field(default_factory=list)
    value: Any = None

    def keep(self, value: Any) -> Any:
        self.value = value
        return value

    def basis(self) -> tuple[Basis, datetime] | None:
        """The call the expression's value came from, and that value (the exact due time)."""
        if not self.business or not isinstance(self.value, datetime):
            return None
        unit, start, amount, result = self.business[-1]
        if result != self.value:
            return None
        standard = self.standards[-1] if self.standards else None
        return Basis(start, amount, unit, standard), result


class Capture:
    """Shared by a command's business functions and its script engine."""

    def __init__(self) -> None:
        self._calls: Calls | None = None

    @contextmanager
    def recording(self) -> Iterator[Calls]:
        calls, outer = Calls(), self._calls
        self._calls = calls
        try:
            yield calls
        finally:
            self._calls = outer

    def wrap(self, functions: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
        """The functions, reporting their calls while a timer expression is evaluated."""
        wrapped = dict(functions)
        for unit in UNITS:
            if unit in functions:
                wrapped[unit] = self._business(unit, functions[unit])
        if "standard" in functions:
            wrapped["standard"] = self._standard(functions["standard"])
        return wrapped

    def _business(self, unit: str, function: Callable[..., Any]) -> Callable[..., Any]:
        start_of: Callable[[Any], datetime] = function.start_of  # type: ignore[attr-defined]

        def call(amount: Any, start: Any = None) -> datetime:
            begin = start_of(start)  # once: "now" must be the same moment in the basis
            result: datetime = function(amount, begin)
            if self._calls is not None:
                self._calls.business.append((unit, begin, float(amount), result))
            return result

        call.__name__ = unit
        return call

    def _standard(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def standard(name: str) -> Any:
            value = function(name)
            if self._calls is not None:
                self._calls.standards.append(name)
            return value

        return standard
