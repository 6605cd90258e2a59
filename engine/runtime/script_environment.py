"""SpiffWorkflow's script environment, backed by the sandbox.

Every script task, and every expression the fast path cannot prove bounded, runs in a sandbox
process; bounded expressions (most gateway conditions and timer values) run here, through the
same restricted interpreter. Task data crosses as JSON both ways, so nothing that cannot be
stored (a function, a generator) ever lands in case data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import (  # type: ignore[import-untyped]
    BasePythonScriptEngineEnvironment,
)

from engine.sandbox import codec
from engine.sandbox.clocked import from_description as clocked_from
from engine.sandbox.fastpath import is_bounded
from engine.sandbox.interpreter import Interpreter
from engine.sandbox.policy import check_expression, check_script
from engine.sandbox.runner import SandboxRunner

_PLAIN = (str, int, float, bool, type(None))
# Scripts that name these need the office calendar (whose closure days may need a read).
BUSINESS_TIME = "business_"

HelperDescription = Callable[[bool], Mapping[str, Any]]


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate bounded expressions in process, everything else in the sandbox pool."""

    def __init__(
        self,
        runner: SandboxRunner,
        functions: Mapping[str, Callable[..., Any]],
        helpers: HelperDescription,
    ) -> None:
        super().__init__(dict(functions))
        self.runner = runner
        self.helpers = helpers
        self.local = Interpreter(
            functions,
            time_limit=runner.limits.time_limit,
            max_size=runner.limits.max_size,
            clock=lambda: clocked_from(helpers(False)),
        )

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict | None = None
    ) -> Any:
        check_expression(expression)  # refused here, before any data is sent anywhere
        if is_bounded(expression):
            result = self.local.evaluate(expression, context, external_context)
            if not isinstance(result, _PLAIN):
                codec.encode(result, "the expression's value")
            return result
        return self.runner.evaluate(
            expression, context, external_context, self.helpers(_needs_calendar(expression))
        )

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict | None = None
    ) -> bool:
        check_script(script)
        self.local.check_for_overwrite(context, external_context or {})
        data = self.runner.execute(
            script, context, external_context, self.helpers(_needs_calendar(script))
        )
        context.clear()
        context.update(data)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are handled by ServiceEngine.call_service")


def _needs_calendar(code: str) -> bool:
    """The office calendar (and the command's "now") travels only with code that uses them."""
    return BUSINESS_TIME in code or "now(" in code
