"""Runs one restricted script or expression against task data, in whatever process it is in.

The sandbox workers run every script through this; the server runs only expressions the fast
path proved bounded (fastpath.py). The data semantics are SpiffWorkflow's TaskDataEnvironment's:
a script's top-level names become task data, injected globals and functions do not.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable, Mapping
from types import CodeType, FrameType
from typing import Any

from engine.sandbox import budget
from engine.sandbox.errors import ScriptError, ScriptTooLarge, timed_out
from engine.sandbox.guards import SizeGuards
from engine.sandbox.policy import SCRIPT_FILENAME, check_expression, check_script

DEFAULT_MAX_SIZE = 10_000_000


class Interpreter:
    """Evaluate/execute restricted code with a time limit, size guards and trusted globals."""

    def __init__(
        self,
        environment_globals: Mapping[str, Any] | None = None,
        *,
        time_limit: float = 2.0,
        max_size: int = DEFAULT_MAX_SIZE,
        clock: Callable[[], Mapping[str, Any] | None] | None = None,
    ) -> None:
        """`clock` gives the builtins that stand in for `datetime`/`date` (sandbox.clocked), so
        scripts read the engine's clock; without it they read the host's."""
        self.globals = dict(environment_globals or {})
        self.clock = clock
        self.time_limit = time_limit
        self.max_size = max_size
        self.sizes = SizeGuards(max_size)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict | None = None
    ) -> Any:
        code = check_expression(expression)
        namespace = copy.copy(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(self.sizes.guards)
        namespace["__builtins__"] = self._builtins()
        result = self._run(code, namespace)
        self.sizes.limit(self.sizes.rendered_size(result), "expression result")
        return result

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict | None = None
    ) -> bool:
        code = check_script(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        context.update(self.sizes.guards)
        context["__builtins__"] = self._builtins()
        try:
            self._run(code, context)
        finally:
            self.remove_globals(context, external_context)
        self.sizes.limit(self.sizes.rendered_size(context), "task data")
        return True

    def _builtins(self) -> dict[str, Any]:
        clocked = self.clock() if self.clock is not None else None
        return {**self.sizes.builtins, **clocked} if clocked else self.sizes.builtins

    def remove_globals(self, context: dict[str, Any], external: Mapping | None = None) -> None:
        """Builtins, guards, environment globals and callables are not task data."""
        names = {"__builtins__", *self.globals, *self.sizes.guards, *(external or ())}
        for key in list(context):
            if key in names or callable(context[key]):
                context.pop(key)

    def check_for_overwrite(self, context: Mapping[str, Any], external: Mapping) -> None:
        """Data shadowing a predefined function (or a guard) would fail confusingly; fail fast."""
        overwrites = set(self.globals).union(external, self.sizes.guards).intersection(context)
        if overwrites:
            raise ValueError(
                "You have task data that overwrites a predefined function(s). Please change the "
                f"following variable or field name(s) to something else: {overwrites}"
            )

    def _run(self, code: CodeType, namespace: dict[str, Any]) -> Any:
        """Evaluate under a line/call tracer that enforces the deadline; works in any thread."""
        outer = budget.deadline()
        deadline = time.monotonic() + self.time_limit
        deadline = deadline if outer is None else min(deadline, outer)
        limit = self.time_limit

        def trace(frame: FrameType, event: str, arg: Any) -> Any:
            current = budget.deadline()
            if current is not None and time.monotonic() > current:
                raise timed_out(limit)
            return trace if frame.f_code.co_filename == SCRIPT_FILENAME else None

        previous = sys.gettrace()
        budget.set_deadline(deadline, limit)
        sys.settrace(trace)
        try:
            return eval(code, namespace)
        except ScriptError:
            raise
        except Exception as exc:
            sys.settrace(previous)
            # Whoever reports this error renders its args; they must not explode either.
            if self.sizes.rendered_size(exc.args) > self.max_size:
                raise ScriptTooLarge("the script raised an oversized exception") from None
            raise
        finally:
            sys.settrace(previous)
            budget.set_deadline(outer)
