"""Domain errors worded for people, in the page's language.

The domain raises typed errors with English detail for logs and API clients; a page shows a
sentence the user can act on.
"""

from __future__ import annotations

from flask_babel import gettext as _

from engine.casework import commands, queues
from engine.runtime import TaskNotReady


def explain(exc: Exception) -> str:
    if isinstance(exc, queues.TaskConflict | commands.Conflict | TaskNotReady):
        return _(
            "This task changed meanwhile: someone else may have claimed or finished it, "
            "or its deadline passed. The page now shows its current state."
        )
    if isinstance(exc, queues.AssigneeInvalid):
        return _("That person cannot take this task (role, office, absence or four-eyes rule).")
    if isinstance(exc, queues.TaskForbidden | commands.Forbidden):
        return _("You cannot do this with this task.")
    if isinstance(exc, queues.TaskNotVisible | commands.NotFound):
        return _("This task is no longer visible to you.")
    return _("That did not work. Please try again.")


DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    queues.TaskError,
    commands.Conflict,
    commands.Forbidden,
    commands.NotFound,
    commands.Invalid,
    TaskNotReady,
)
