"""Caseway's domain errors: one hierarchy, each class knowing its HTTP status and its message.

Domain code raises these with an English `detail` for logs and API clients. The JSON API answers
`status` as problem+json (engine.api.problems) and a page shows `message_key` translated
(engine.web.feedback); neither keeps a table of its own, so adding an error is one class here.
`N_` marks the keys for Babel's extraction without translating them at import time.
"""

from __future__ import annotations

from typing import Any, ClassVar


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    return message


class CasewayError(Exception):
    """Base of every failure the user can act on (a 4xx), never of a bug."""

    status: ClassVar[int] = 400
    message_key: ClassVar[str] = N_("That did not work. Please try again.")

    def __init__(self, detail: str = "", field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field

    @property
    def detail(self) -> str:
        return str(self) or self.message_key

    def problem_fields(self) -> dict[str, Any]:
        """Extra members of the problem+json body (field errors and the like)."""
        if self.field:
            return {"errors": [{"field": self.field, "message": self.detail}]}
        return {}


class NotFound(CasewayError):
    """Unknown, or outside what the caller may see (existence is not disclosed)."""

    status = 404
    message_key = N_("This is no longer visible to you.")


class Forbidden(CasewayError):
    status = 403
    message_key = N_("You cannot do this.")


class Conflict(CasewayError):
    """The request clashes with the current state (already claimed, closed, overlapping)."""

    status = 409
    message_key = N_("This changed meanwhile. The page now shows its current state.")


class Invalid(CasewayError):
    """Request data is wrong; `field` names the culprit."""

    status = 422
    message_key = N_("Some of the information is not valid.")

    def problem_fields(self) -> dict[str, Any]:
        # An Invalid always carries an errors list (empty when no single field is to blame).
        return {"errors": [{"field": self.field, "message": self.detail}] if self.field else []}


class TooLarge(CasewayError):
    status = 413
    message_key = N_("This is too large.")


class UnsupportedType(CasewayError):
    status = 415
    message_key = N_("This kind of file is not accepted.")


# Human tasks ------------------------------------------------------------------------------------


class TaskNotVisible(NotFound):
    """Unknown, or not in any queue the user works (answered as not found)."""

    message_key = N_("This task is no longer visible to you.")


class TaskForbidden(Forbidden):
    message_key = N_("You cannot do this with this task.")


class TaskConflict(Conflict):
    """Already claimed by someone else, or no longer open."""

    message_key = N_(
        "This task changed meanwhile: someone else may have claimed or finished it, "
        "or its deadline passed. The page now shows its current state."
    )


class AssigneeInvalid(Invalid):
    """The chosen user cannot work this task's queue."""

    message_key = N_("That person cannot take this task (role, office, absence or four-eyes rule).")

    def problem_fields(self) -> dict[str, Any]:
        return {}


# The engine's answers to a command --------------------------------------------------------------


class TaskNotFound(NotFound):
    """The instance has no such task (it may have moved on)."""

    message_key = N_("This task is no longer visible to you.")


class TaskNotReady(TaskConflict):
    """The task exists but cannot be completed now (already done, cancelled, or overdue)."""


class MessageNotExpected(Conflict):
    """Nothing in the instance is waiting for this message."""


class NothingToRetry(Conflict):
    """The instance has no failed step to run again."""


# Staff, offices and closures ---------------------------------------------------------------------


class UserProblem(Invalid, ValueError):
    """A user account request that cannot be met (unknown role, duplicate name, …)."""

    def problem_fields(self) -> dict[str, Any]:
        return {}


class ClosureExists(Conflict, ValueError):
    pass


class ClosureNotFound(NotFound, LookupError):
    pass


class TasksRejected(Invalid):
    """Some selected tasks cannot go to the chosen user, so none moved (all or nothing)."""

    def __init__(self, detail: str, problems: dict[str, str]) -> None:
        super().__init__(detail)
        self.problems = problems

    def problem_fields(self) -> dict[str, Any]:
        errors = [
            {"field": "task_ids", "task_id": task_id, "message": message}
            for task_id, message in sorted(self.problems.items())
        ]
        return {"errors": errors, "task_ids": sorted(self.problems)}


# Cases -------------------------------------------------------------------------------------------


class CaseNotFound(NotFound):
    """Unknown, or in an office the caller does not work in (existence is not disclosed)."""

    message_key = N_("This case is no longer visible to you.")


class CaseExists(Conflict):
    """The office already has a case with this key."""

    message_key = N_("A case with this number already exists in this office.")


class CaseClosed(Conflict):
    """The case is closed: nothing more starts on it and it cannot be closed again."""

    message_key = N_("This case is closed.")


class ProcessAlreadyRunning(Conflict):
    """The case already has an unfinished instance of this process."""

    message_key = N_("This process is already under way for this case.")


class NoteLocked(Conflict):
    """A note can only be corrected by its author for a short while after writing it."""

    message_key = N_("This note can no longer be changed.")


class OfficeUnknown(Invalid):
    """No staff work in the office named."""

    message_key = N_("There is no such office.")


# Delivery: the outbox and the partner directory ---------------------------------------------------


class MessageNotFound(NotFound):
    """No outbox message with that id the caller may see."""


class MessageNotUndelivered(Conflict):
    """Only an undelivered message (failed, no channel, or still pending) can be retried or
    marked handled; a sent or handled one cannot."""

    message_key = N_("This message was already delivered or handled.")


class PartnerNotFound(NotFound):
    """No partner with that id in the caller's office."""


class PartnerKeyTaken(Conflict):
    """The office already has a partner with that key."""

    message_key = N_("This office already has a partner with that key.")


class ClientLinkUnusable(CasewayError):
    """A client's self-service link that was used, expired or revoked: 410, it will not work
    again. `state` says which, so the page can say so and offer the office's phone number."""

    status = 410
    message_key = N_("This link no longer works.")

    def __init__(self, detail: str = "", *, state: str = "used") -> None:
        super().__init__(detail)
        self.state = state

    def problem_fields(self) -> dict[str, Any]:
        return {"state": self.state}


class ExternalTaskLockRefused(Invalid):
    """A worker acted on an external task another worker holds, or none holds (Camunda 7
    answers these 400)."""

    status = 400
