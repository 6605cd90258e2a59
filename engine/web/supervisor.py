"""Supervisor pages: team board, queue board, bulk and single reassignment, absences, and the
service-standards report with its weekly chart. The work is done by engine.supervision and
engine.supervision.reports; these routes read the form, call them, and show the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.casework.unit_of_work import changing
from engine.errors import CasewayError
from engine.identity.users import Principal
from engine.statuses import AbsenceStatus
from engine.store.models import Absence, HumanTask
from engine.supervision import absences, views
from engine.supervision.people import Staff
from engine.supervision.reassign import Selection, reassign
from engine.supervision.reports import office_calendars, service_standards
from engine.web import charts, supervising
from engine.web.guard import protect, require, safe_next
from engine.web.supervision_text import explain_supervision, reason_names

supervise = protect(Blueprint("supervise", __name__))
REPORT_DAYS = 28


@supervise.get("/team")
def team() -> str:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    with svc.readers() as session:
        lines = views.team(session, principal.office, now=svc.clock.now(), zone=_zone(principal))
    return render_template("team.html", lines=lines, now=svc.clock.now())


@supervise.get("/team/<username>")
def worker(username: str) -> str:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    with svc.readers() as session:
        tasks = supervising.open_tasks(session, principal.office, assignee=username)
        staff = supervising.office_staff(session, principal.office)
        offered = supervising.receivers(session, staff, tasks, svc.clock.now())
    person = next((p for p in staff if p.username == username), None)
    title = _("Tasks held by %(user)s", user=person.display_name if person else username)
    return _picker(title, tasks, offered, back=url_for("supervise.team"), holder=username)


@supervise.get("/queues")
def queues() -> str:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    with svc.readers() as session:
        lines = views.queue_summary(session, principal.office, now=svc.clock.now())
    return render_template("queues.html", lines=lines, now=svc.clock.now())


@supervise.get("/queues/<queue>")
def queue(queue: str) -> str:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    with svc.readers() as session:
        tasks = supervising.open_tasks(session, principal.office, queue=queue)
        staff = [
            p
            for p in supervising.office_staff(session, principal.office)
            if policy.holds_queue(p.roles, queue)
        ]
        offered = supervising.receivers(session, staff, tasks, svc.clock.now())
    return _picker(
        _("Open tasks in queue %(queue)s", queue=queue),
        tasks,
        offered,
        back=url_for("supervise.queues"),
        holder=None,
    )


@supervise.post("/reassign")
def bulk_reassign() -> Response:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    task_ids = tuple(request.form.getlist("task_id"))
    to = request.form.get("to") or None
    back = safe_next(request.form.get("next")) or url_for("supervise.team")
    if not task_ids:
        flash(_("Select at least one task."), "error")
        return redirect(back)

    def move() -> int:
        with changing(svc) as session:
            return reassign(session, principal, Selection(task_ids=task_ids), to, svc.clock.now())

    moved = _attempt(move)
    if moved is not None:
        flash(_("%(count)s task(s) reassigned.", count=moved), "success")
    return redirect(back)


@supervise.get("/standards")
def standards() -> str:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    now = svc.clock.now()
    with svc.readers() as session:
        lines = service_standards(
            session,
            principal,
            now=now,
            since=now - timedelta(days=REPORT_DAYS),
            until=now,
            office=principal.office,
            calendars=office_calendars(svc, session),
        )
        chart = charts.weekly_chart(
            session, principal, now=now, zone=_zone(principal), office=principal.office
        )
    return render_template("standards.html", lines=lines, chart=chart, days=REPORT_DAYS)


@supervise.get("/absences", endpoint="absences")
def absences_page() -> str:
    principal = require(policy.Action.SUPERVISE)
    return _absences_page(principal, request.args)[0]


def _absences_page(
    principal: Principal, form: Mapping[str, str], error: str | None = None, code: int = 200
) -> tuple[str, int]:
    """The page; after a refused absence, with what was entered and the reason beside it."""
    svc = services()
    now = svc.clock.now()
    with svc.readers() as session:
        rows = absences.office_absences(session, principal.office, until_after=now)
        staff = supervising.office_staff(session, principal.office)
        ended = _recently_ended(session, principal, now)
    page = render_template(
        "absences.html",
        rows=[(a, absences.absence_status(a, now)) for a in rows],
        ended=ended,
        staff=staff,
        reasons=reason_names(),
        form=form,
        error=error,
        now_local=now.astimezone(_zone(principal)).strftime("%Y-%m-%dT%H:%M"),
    )
    return page, code


@supervise.post("/absences")
def add_absence() -> Response | tuple[str, int]:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    zone = _zone(principal)
    from_now = request.form.get("from_now") == "1"
    starts = svc.clock.now() if from_now else _local(request.form.get("starts_at"), zone)
    ends = _local(request.form.get("ends_at"), zone)
    if starts is None or ends is None:
        problem = _("Give the start and the end as a date and a time.")
        return _absences_page(principal, request.form, problem, 422)
    wanted = absences.AbsenceRequest(
        username=request.form.get("user", ""),
        starts_at=starts,
        ends_at=ends,
        cover=request.form.get("cover") or None,
        reason_category=request.form.get("reason", ""),
    )

    try:
        with changing(svc) as session:
            absences.add_absence(session, principal, wanted, svc.clock.now())
    except CasewayError as exc:
        return _absences_page(principal, request.form, explain_supervision(exc), 422)
    flash(_("The absence of %(user)s is recorded.", user=wanted.username), "success")
    return redirect(url_for("supervise.absences"))


@supervise.post("/absences/<int:absence_id>/end")
def end_absence(absence_id: int) -> Response:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    username = request.form.get("user", "")

    def end() -> int:
        with changing(svc) as session:
            return absences.end_absence(
                session, principal, username, absence_id, svc.clock.now()
            ).id

    if _attempt(end) is not None:
        flash(_("The absence of %(user)s is over.", user=username), "success")
    return redirect(url_for("supervise.absences"))


@supervise.post("/absences/<int:absence_id>/hand-back")
def hand_back(absence_id: int) -> Response:
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    username = request.form.get("user", "")

    def give_back() -> int:
        with changing(svc) as session:
            return absences.hand_back(session, principal, username, absence_id, svc.clock.now())

    moved = _attempt(give_back)
    if moved is not None:
        flash(
            _("%(count)s task(s) handed back to %(user)s.", count=moved, user=username), "success"
        )
    return redirect(url_for("supervise.absences"))


def _picker(
    title: str,
    tasks: list[HumanTask],
    staff: list[Staff],
    *,
    back: str,
    holder: str | None,
) -> str:
    return render_template(
        "pick_tasks.html",
        title=title,
        tasks=tasks,
        staff=[p for p in staff if p.username != holder],
        back=back,
        all_selected=request.args.get("select") == "all",
        now=services().clock.now(),
    )


def _attempt(action: Callable[[], int]) -> int | None:
    try:
        return action()
    except CasewayError as exc:
        flash(explain_supervision(exc), "error")
        return None


def _recently_ended(session: Session, principal: Principal, now: datetime) -> list[Absence]:
    """Absences over in the last two weeks: their work may need handing back."""
    return [
        a
        for a in absences.office_absences(
            session, principal.office, until_after=now - timedelta(days=14)
        )
        if absences.absence_status(a, now) == AbsenceStatus.ENDED
    ]


def _zone(principal: Principal) -> ZoneInfo:
    return ZoneInfo(services().runtime.calendar_for(principal.office).timezone)


def _local(text: str | None, zone: ZoneInfo) -> datetime | None:
    """A `datetime-local` field: wall time in the office's zone."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
