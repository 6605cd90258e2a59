"""Supervision errors and absence reasons worded for people, in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _

from engine.errors import (
    CasewayError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TasksRejected,
)


def reason_names() -> dict[str, str]:
    return {
        "vacation": _("Vacation"),
        "sick": _("Sick leave"),
        "training": _("Training"),
        "leave": _("Other leave"),
        "other": _("Other"),
    }


def explain_supervision(exc: CasewayError) -> str:
    if isinstance(exc, TasksRejected):
        return _(
            "%(count)s of the selected tasks cannot go to that person (role, office or "
            "four-eyes rule); nothing moved.",
            count=len(exc.problems),
        )
    if isinstance(exc, Invalid):
        fields = {
            "ends_at": _("The end must be after the start, and in the future."),
            "starts_at": _("Check the start of the absence."),
            "cover": _(
                "The cover must be an active colleague of the same office who works the same queue."
            ),
            "reason_category": _("Choose a reason."),
            "user": _("That person cannot take this work now (away, or not in this office)."),
            "to": _("That person cannot take this work now (away, or not in this office)."),
        }
        return fields.get(exc.field or "", _("Check the form and try again."))
    if isinstance(exc, Conflict):
        return _("The absence overlaps another one, or has already ended.")
    if isinstance(exc, Forbidden):
        return _("You cannot do this for that office.")
    if isinstance(exc, NotFound):
        return _("That person or task was not found in your office.")
    return _("That did not work. Please try again.")
