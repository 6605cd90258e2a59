"""SpiffWorkflow behind a small, pure interface: state and a command in, state and effects out."""

from engine.runtime.engine import LoadedSpec, RunContext, Runtime
from engine.runtime.errors import (
    MessageNotExpected,
    NothingToRetry,
    ServiceTaskFailed,
    TaskNotFound,
    TaskNotReady,
)
from engine.runtime.views import HumanTaskView, IncidentView, MessageWaitView, Outcome, TimerView

__all__ = [
    "HumanTaskView",
    "IncidentView",
    "LoadedSpec",
    "MessageNotExpected",
    "MessageWaitView",
    "NothingToRetry",
    "Outcome",
    "RunContext",
    "Runtime",
    "ServiceTaskFailed",
    "TaskNotFound",
    "TaskNotReady",
    "TimerView",
]
