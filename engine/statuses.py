"""The status words stored in rows and answered in JSON, as enums.

They are `StrEnum`s so a member *is* its string: rows, SQL parameters, JSON and templates see
exactly the words they saw before ("open", "waiting", …), while code names them once. This module
imports nothing from Caseway, so the runtime (which never imports the store) may use it too.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """A human task's life: open until completed, or cancelled with the path that held it."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ClosedReason(StrEnum):
    """Why a task closed without being completed."""

    ESCALATED = "escalated"  # an interrupting boundary timer (its deadline) took the path
    CANCELLED = "cancelled"  # anything else that ended the path (terminate, another branch)


class InstanceStatus(StrEnum):
    """A process instance: running inside a command, then waiting, completed, error, terminated."""

    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    ERROR = "error"
    TERMINATED = "terminated"


# Instances that still carry work (an instance in error waits for a retry).
ACTIVE_INSTANCE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.ERROR)
# Instances that are over for good.
FINISHED_INSTANCE_STATUSES = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


class AbsenceStatus(StrEnum):
    """An absence at a given moment (derived from its times, not stored)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"
