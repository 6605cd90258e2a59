"""Errors raised by the runtime.

The command errors are the domain's (engine.errors) so every layer answers them alike;
ServiceTaskFailed stays internal: it becomes an incident, never an HTTP answer.
"""

from __future__ import annotations

from engine.errors import MessageNotExpected, NothingToRetry, TaskNotFound, TaskNotReady

__all__ = [
    "MessageNotExpected",
    "NothingToRetry",
    "ServiceTaskFailed",
    "TaskNotFound",
    "TaskNotReady",
]


class ServiceTaskFailed(Exception):
    """A handler failed; carries a clear message instead of SpiffWorkflow's masked one."""

    def __init__(self, operator: str, message: str, *, business_code: str | None = None) -> None:
        super().__init__(f"{operator}: {message}")
        self.operator = operator
        self.business_code = business_code
