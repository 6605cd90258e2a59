"""`caseway report`, `closures`, `absences`, `reassign`, `team`, `caseloads`, `queues`: the
supervisor's commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.casework.unit_of_work import changing
from engine.config import Settings
from engine.deadlines.closures import add_closure, list_closures, remove_closure
from engine.errors import CasewayError, TasksRejected
from engine.identity.users import SYSTEM, Principal
from engine.policy import Role
from engine.services import Services
from engine.supervision import absences, views
from engine.supervision.reassign import Selection, reassign
from engine.supervision.reports import service_standards

ServicesFactory = Callable[[Settings], AbstractContextManager[Services]]
CLI_SUPERVISOR = Principal("cli", "*", frozenset({Role.ADMIN.value}))


def register(sub: Any, group: Callable[..., Any], services: ServicesFactory) -> dict[str, Any]:
    """Every supervision command; returns the view parsers (`queues` gets subcommands)."""
    report = sub.add_parser("report", help="service-standards report by queue and task")
    report.add_argument("--office", help="one office (default: all)")
    report.add_argument("--since", type=_moment, help="ISO date/time (default: 28 days ago)")
    report.add_argument("--until", type=_moment, help="ISO date/time (default: now)")
    report.add_argument("--json", action="store_true", help="print JSON instead of a table")
    report.set_defaults(run=lambda s, a: _report(services, s, a))

    closures = group(sub, "closures", "office closure days (business time skips them)")
    add = closures.add_parser("add", help="close an office on a day")
    add.add_argument("office")
    add.add_argument("day", type=date.fromisoformat)
    add.add_argument("--reason", required=True)
    add.set_defaults(run=lambda s, a: _closure_add(services, s, a))
    listing = closures.add_parser("list", help="list an office's closure days")
    listing.add_argument("office")
    listing.set_defaults(run=lambda s, a: _closure_list(services, s, a))
    remove = closures.add_parser("remove", help="reopen an office on a day")
    remove.add_argument("office")
    remove.add_argument("day", type=date.fromisoformat)
    remove.set_defaults(run=lambda s, a: _closure_remove(services, s, a))
    return register_staffing(sub, group, services)


def register_staffing(
    sub: Any, group: Callable[..., Any], services: ServicesFactory
) -> dict[str, Any]:
    """Absences, reassignment and the team, caseload and queue views."""
    away = group(sub, "absences", "staff absences and their cover")
    add = away.add_parser("add", help="record an absence; the worker's tasks move at its start")
    add.add_argument("username")
    add.add_argument("--from", dest="starts_at", type=_moment, help="ISO date/time (default: now)")
    add.add_argument("--until", dest="ends_at", type=_moment, required=True)
    add.add_argument("--cover", help="who takes the work (default: it goes to the queue)")
    add.add_argument("--reason", choices=absences.REASON_CATEGORIES, required=True)
    add.add_argument("--as", dest="actor", default="cli", help="recorded as who did it")
    add.set_defaults(run=_guarded(services, _absence_add))
    listing = away.add_parser("list", help="absences not over yet (one office or one worker)")
    listing.add_argument("--office")
    listing.add_argument("--user")
    listing.set_defaults(run=_guarded(services, _absence_list))
    end = away.add_parser("end", help="end an absence now (or cancel one not yet started)")
    end.add_argument("username")
    end.add_argument("absence_id", type=int)
    end.add_argument("--as", dest="actor", default="cli")
    end.set_defaults(run=_guarded(services, _absence_end))
    back = away.add_parser("hand-back", help="give back the work an ended absence moved")
    back.add_argument("username")
    back.add_argument("absence_id", type=int)
    back.add_argument("--as", dest="actor", default="cli")
    back.set_defaults(run=_guarded(services, _absence_hand_back))

    move = sub.add_parser("reassign", help="move open tasks (all filters must match)")
    move.add_argument("--from-user")
    move.add_argument("--case", dest="business_key")
    move.add_argument("--task", dest="task_ids", action="append", default=[])
    move.add_argument("--queue")
    move.add_argument("--office")
    target = move.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", help="username")
    target.add_argument("--to-queue", action="store_true", help="back to the queue")
    move.add_argument("--as", dest="actor", default="cli")
    move.set_defaults(run=_guarded(services, _reassign))

    parsers: dict[str, Any] = {}
    for name, show, text in (
        ("team", _team, "per worker: open, overdue, next due, cases, away, covering"),
        ("caseloads", _caseloads, "active cases per caseworker against the target"),
        ("queues", _queues, "unassigned tasks per queue, oldest and most urgent"),
    ):
        view = sub.add_parser(name, help=text)
        # `caseway queues` also has subcommands for the queue table (engine.cli.queues)
        view.add_argument("--office", required=name != "queues")
        view.add_argument("--json", action="store_true", help="print JSON instead of a table")
        view.set_defaults(run=_guarded(services, show))
        parsers[name] = view
    return parsers


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {text!r}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {text}+00:00")
    return value


def _report(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, svc.readers() as session:
        now = svc.clock.now()
        until = args.until or now
        since = args.since or until - timedelta(days=28)
        lines = [
            line.as_dict()
            for line in service_standards(
                session, CLI_SUPERVISOR, now=now, since=since, until=until, office=args.office
            )
        ]
    if args.json:
        print(json.dumps({"since": since.isoformat(), "until": until.isoformat(), "items": lines}))
        return 0
    print(f"service standards {since:%Y-%m-%d} .. {until:%Y-%m-%d}" + _office(args.office))
    header = (
        "queue",
        "task",
        "open",
        "overdue",
        "on time",
        "late",
        "no standard",
        "escalated",
        "median h",
    )
    rows = [
        (
            line["queue"],
            line["task_name"],
            line["open"],
            line["overdue"],
            line["completed_on_time"],
            line["completed_late"],
            line["completed_no_standard"],
            line["escalated"],
            "" if line["median_hours_to_complete"] is None else line["median_hours_to_complete"],
        )
        for line in lines
    ]
    for row in _table([header, *rows]):
        print(row)
    return 0


def _office(office: str | None) -> str:
    return f", office {office}" if office else ", all offices"


def _table(rows: list[tuple[Any, ...]]) -> Iterator[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        yield "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()


def _closure_add(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, changing(svc) as session:
        change = add_closure(
            session,
            SYSTEM,
            args.office,
            args.day,
            args.reason,
            svc.clock.now(),
            svc.runtime.calendar_for(args.office),
        )
    print(f"{args.office} closed on {args.day.isoformat()}; {len(change.moves)} deadline(s) moved")
    return 0


def _closure_list(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, svc.readers() as session:
        for closure in list_closures(session, args.office):
            print(f"{closure.day.isoformat()}  {closure.reason}")
    return 0


def _closure_remove(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, changing(svc) as session:
        change = remove_closure(
            session,
            SYSTEM,
            args.office,
            args.day,
            svc.clock.now(),
            svc.runtime.calendar_for(args.office),
        )
    moved = len(change.moves)
    print(f"{args.office} open again on {args.day.isoformat()}; {moved} deadline(s) moved")
    return 0


Command = Callable[[Services, argparse.Namespace], int]


def _guarded(services: ServicesFactory, command: Command) -> Callable[..., int]:
    """Run with services; a refused request prints `caseway: why` and exits 2."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            with services(settings) as svc:
                return command(svc, args)
        except TasksRejected as exc:
            for task_id, problem in sorted(exc.problems.items()):
                print(f"{task_id}: {problem}", file=sys.stderr)
            print(f"caseway: {exc}", file=sys.stderr)
            return 2
        except CasewayError as exc:
            print(f"caseway: {exc}", file=sys.stderr)
            return 2

    return run


def _acting(args: argparse.Namespace) -> Principal:
    return Principal(args.actor, "*", frozenset({Role.ADMIN.value}))


def _absence_add(svc: Services, args: argparse.Namespace) -> int:
    now = svc.clock.now()
    request = absences.AbsenceRequest(
        username=args.username,
        starts_at=args.starts_at or now,
        ends_at=args.ends_at,
        cover=args.cover,
        reason_category=args.reason,
    )
    with changing(svc) as session:
        absence = absences.add_absence(session, _acting(args), request, now)
        moved = absences.moved_counts(session, [absence.id]).get(absence.id, 0)
        status = absences.absence_status(absence, now)
    print(f"absence {absence.id} of {args.username}: {status}, {moved} task(s) moved")
    return 0


def _absence_list(svc: Services, args: argparse.Namespace) -> int:
    if not (args.office or args.user):
        print("caseway: give --office or --user", file=sys.stderr)
        return 2
    now = svc.clock.now()
    with svc.readers() as session:
        if args.user:
            found, _ = absences.list_absences(
                session, CLI_SUPERVISOR, args.user, limit=500, offset=0
            )
        else:
            found = absences.office_absences(session, args.office, until_after=now)
        moved = absences.moved_counts(session, [a.id for a in found])
    header = ("id", "user", "from", "until", "cover", "reason", "status", "moved")
    rows = [
        (
            a.id,
            a.username,
            f"{a.starts_at:%Y-%m-%d %H:%M}",
            f"{a.ends_at:%Y-%m-%d %H:%M}",
            a.cover or "(queue)",
            a.reason_category,
            absences.absence_status(a, now),
            moved.get(a.id, 0),
        )
        for a in found
    ]
    for row in _table([header, *rows]):
        print(row)
    return 0


def _absence_end(svc: Services, args: argparse.Namespace) -> int:
    now = svc.clock.now()
    with changing(svc) as session:
        absence = absences.end_absence(session, _acting(args), args.username, args.absence_id, now)
        status = absences.absence_status(absence, now)
    print(f"absence {args.absence_id} of {args.username}: {status}")
    return 0


def _absence_hand_back(svc: Services, args: argparse.Namespace) -> int:
    with changing(svc) as session:
        moved = absences.hand_back(
            session, _acting(args), args.username, args.absence_id, svc.clock.now()
        )
    print(f"handed {moved} task(s) back to {args.username}")
    return 0


def _reassign(svc: Services, args: argparse.Namespace) -> int:
    selection = Selection(
        from_user=args.from_user,
        business_key=args.business_key,
        task_ids=tuple(args.task_ids),
        queue=args.queue,
        office=args.office,
    )
    to = None if args.to_queue else args.to
    with changing(svc) as session:
        moved = reassign(session, _acting(args), selection, to, svc.clock.now())
    print(f"moved {moved} task(s) to {to or 'the queue'}")
    return 0


def _team(svc: Services, args: argparse.Namespace) -> int:
    zone = ZoneInfo(svc.runtime.calendar_for(args.office).timezone)
    with svc.readers() as session:
        lines = views.team(session, args.office, now=svc.clock.now(), zone=zone)
    if args.json:
        return _print_json(args.office, [asdict(line) for line in lines])
    header = ("user", "open", "overdue", "next due", "cases", "away", "covering for")
    rows = [
        (
            line.username,
            line.open_tasks,
            line.overdue_tasks,
            f"{line.next_due_at:%Y-%m-%d %H:%M}" if line.next_due_at else "",
            line.active_cases,
            _away(line.absence) if line.absent_today else "",
            ",".join(line.covering_for),
        )
        for line in lines
    ]
    for row in _table([header, *rows]):
        print(row)
    return 0


def _away(absence: dict[str, Any] | None) -> str:
    if absence is None:
        return ""
    return f"until {absence['ends_at']:%Y-%m-%d %H:%M}, cover {absence['cover'] or '(queue)'}"


def _caseloads(svc: Services, args: argparse.Namespace) -> int:
    target = svc.settings.caseload_target
    with svc.readers() as session:
        lines = views.caseloads(session, args.office, target=target)
        unowned = views.unowned_active_cases(session, args.office)
    if args.json:
        return _print_json(args.office, [asdict(line) for line in lines], target=target)
    print(f"caseloads, office {args.office}: target {target} active cases per caseworker")
    header = ("user", "active cases", "ratio", "over")
    rows = [
        (line.username, line.active_cases, line.ratio, "OVER" if line.over_target else "")
        for line in lines
    ]
    for row in _table([header, *rows]):
        print(row)
    print(f"unowned active cases: {unowned}")
    return 0


def _queues(svc: Services, args: argparse.Namespace) -> int:
    if not args.office:
        raise CasewayError(
            "say which office: caseway queues --office OFFICE (or list, add, update)"
        )
    with svc.readers() as session:
        lines = views.queue_summary(session, args.office, now=svc.clock.now())
    if args.json:
        return _print_json(args.office, [asdict(line) for line in lines])
    header = ("queue", "unassigned", "overdue", "oldest", "most urgent due")
    rows = [
        (
            line.queue,
            line.unassigned,
            line.overdue,
            f"{line.oldest_created_at:%Y-%m-%d %H:%M}",
            f"{line.most_urgent_due_at:%Y-%m-%d %H:%M}" if line.most_urgent_due_at else "",
        )
        for line in lines
    ]
    for row in _table([header, *rows]):
        print(row)
    return 0


def _print_json(office: str, items: list[dict[str, Any]], **extra: Any) -> int:
    print(json.dumps({"office": office, **extra, "items": items, "total": len(items)}, default=str))
    return 0
