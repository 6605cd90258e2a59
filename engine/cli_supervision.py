"""`caseway report` and `caseway closures`: the supervisor's commands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any

from engine.closures import add_closure, list_closures, remove_closure
from engine.config import Settings
from engine.reports import service_standards
from engine.services import Services
from engine.store.db import transaction
from engine.users import SYSTEM, Principal

ServicesFactory = Callable[[Settings], AbstractContextManager[Services]]
CLI_SUPERVISOR = Principal("cli", "*", frozenset({"admin"}))


def register(sub: Any, group: Callable[..., Any], services: ServicesFactory) -> None:
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


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {text!r}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {text}+00:00")
    return value


def _report(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, svc.sessions() as session:
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
    header = ("queue", "task", "open", "overdue", "on time", "late", "escalated", "median h")
    rows = [
        (
            line["queue"],
            line["task_name"],
            line["open"],
            line["overdue"],
            line["completed_on_time"],
            line["completed_late"],
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
    with services(settings) as svc, transaction(svc.sessions) as session:
        add_closure(session, SYSTEM, args.office, args.day, args.reason, svc.clock.now())
    print(f"{args.office} closed on {args.day.isoformat()}")
    return 0


def _closure_list(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, svc.sessions() as session:
        for closure in list_closures(session, args.office):
            print(f"{closure.day.isoformat()}  {closure.reason}")
    return 0


def _closure_remove(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, transaction(svc.sessions) as session:
        remove_closure(session, SYSTEM, args.office, args.day, svc.clock.now())
    print(f"{args.office} open again on {args.day.isoformat()}")
    return 0
