"""Supervision's domain errors; only the API layer turns them into status codes."""

from __future__ import annotations


class SupervisionError(Exception):
    """Base of every supervision failure the API answers with a 4xx."""


class NotFound(SupervisionError):
    """Unknown, or outside the caller's office (existence is not disclosed)."""


class Forbidden(SupervisionError):
    pass


class Conflict(SupervisionError):
    """The request clashes with the current state (overlapping absence, already ended)."""


class Invalid(SupervisionError):
    """Request data is wrong; `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TasksRejected(SupervisionError):
    """Some selected tasks cannot go to the chosen user, so none moved (all or nothing)."""

    def __init__(self, message: str, problems: dict[str, str]) -> None:
        super().__init__(message)
        self.problems = problems
