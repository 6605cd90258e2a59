"""The closures page: supervisors close their office on a day (a storm, a move) or open it
again, seeing first which open deadlines would move (the same dry run as
`POST /api/offices/{office}/closures?dry_run=true`), then saving."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.casework.unit_of_work import changing
from engine.deadlines.closures import ClosureChange, add_closure, list_closures, remove_closure
from engine.errors import CasewayError
from engine.web.guard import require
from engine.web.supervision_text import explain_supervision
from engine.web.supervisor import supervise

SHOWN = 200  # moves listed on the page; the count says how many in all


@supervise.get("/closures")
def closures() -> str:
    return _page()


@supervise.post("/closures/preview")
def preview_closure() -> Response | str | tuple[str, int]:
    return _change(adding=True, dry_run=True)


@supervise.post("/closures")
def save_closure() -> Response | str | tuple[str, int]:
    return _change(adding=True, dry_run=False)


@supervise.post("/closures/<day>/preview")
def preview_reopening(day: str) -> Response | str | tuple[str, int]:
    return _change(adding=False, dry_run=True, day=_day(day))


@supervise.post("/closures/<day>/remove")
def reopen(day: str) -> Response | str | tuple[str, int]:
    return _change(adding=False, dry_run=False, day=_day(day))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _change(
    *, adding: bool, dry_run: bool, day: date | None = None
) -> Response | str | tuple[str, int]:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    office = principal.office
    reason = request.form.get("reason", "").strip()
    if adding:
        try:
            day = date.fromisoformat(request.form.get("day", ""))
        except ValueError:
            return _page(error=_("Give the day as a date."), form=request.form), 422
        if not reason or len(reason) > 200:
            return _page(error=_("Say why the office is closed."), form=request.form), 422
    assert day is not None
    try:
        with changing(svc) as session:
            calendar = svc.runtime.calendar_for(office)
            now = svc.clock.now()
            if adding:
                change = add_closure(
                    session, principal, office, day, reason, now, calendar, dry_run=dry_run
                )
            else:
                change = remove_closure(
                    session, principal, office, day, now, calendar, dry_run=dry_run
                )
    except CasewayError as exc:
        return _page(error=explain_supervision(exc), form=request.form), 422
    if dry_run:
        return _page(preview=change, adding=adding)
    if adding:
        message = _(
            "The office is closed on %(day)s; %(count)s deadline(s) moved.",
            day=day.isoformat(),
            count=len(change.moves),
        )
    else:
        message = _(
            "The office is open again on %(day)s; %(count)s deadline(s) moved.",
            day=day.isoformat(),
            count=len(change.moves),
        )
    flash(message, "success")
    return redirect(url_for("supervise.closures"))


def _page(
    *,
    preview: ClosureChange | None = None,
    adding: bool = True,
    error: str | None = None,
    form: object = None,
) -> str:
    principal = require(policy.Action.SUPERVISE)
    with services().readers() as session:
        rows = list_closures(session, principal.office)
    return render_template(
        "closures.html",
        rows=rows,
        office=principal.office,
        preview=preview,
        adding=adding,
        shown=preview.moves[:SHOWN] if preview else [],
        error=error,
        form=form or {},
    )
