"""Domain errors raised by the runtime; the API layer maps them to HTTP statuses."""

from __future__ import annotations


class RuntimeCommandError(Exception):
    """A command cannot be applied to the instance as it stands."""


class TaskNotFound(RuntimeCommandError):
    pass


class TaskNotReady(RuntimeCommandError):
    """The task exists but is not waiting for a person (completed, cancelled, escalated)."""


class MessageNotExpected(RuntimeCommandError):
    pass


class NothingToRetry(RuntimeCommandError):
    pass


class ServiceTaskFailed(Exception):
    """A handler failed; carries a clear message instead of SpiffWorkflow's masked one."""

    def __init__(self, operator: str, message: str, *, business_code: str | None = None) -> None:
        super().__init__(f"{operator}: {message}")
        self.operator = operator
        self.business_code = business_code
