"""`caseway queues`: the queue table from the command line (list, add, update), as the deploy
response offers for a queue a diagram names but nobody created."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from engine.casework import work_queues
from engine.casework.unit_of_work import changing
from engine.config import Settings
from engine.identity.users import Principal
from engine.policy import Role
from engine.services import Services

ServicesFactory = Callable[[Settings], AbstractContextManager[Services]]


def register(parser: Any, services: ServicesFactory) -> None:
    """Subcommands of `caseway queues` (which alone, with --office, shows the queue summary)."""
    queues = parser.add_subparsers(title="the queue table (who holds which queue)")
    listing = queues.add_parser("list", help="list queues")
    listing.set_defaults(run=lambda s, a: _list(services, s, a))
    for name, helptext in (("add", "create a queue"), ("update", "change a queue")):
        command = queues.add_parser(name, help=helptext)
        command.add_argument("key", help="the key lanes and candidate groups name")
        command.add_argument("--title", dest="title_en", help="English title")
        command.add_argument("--title-fr", dest="title_fr", help="French title")
        command.add_argument("--role", dest="roles", action="append", help="a role holding it")
        command.add_argument("--user", dest="users", action="append", help="a person holding it")
        command.add_argument("--office", help="the one office it serves (default: every office)")
        command.add_argument("--as", dest="actor", default="cli", help="recorded as the actor")
        command.set_defaults(run=lambda s, a, n=name: _change(services, s, a, n))


def _list(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc, svc.readers() as session:
        rows = work_queues.list_queues(session)
    for q in rows:
        holders = ", ".join([*q.roles, *(f"@{u}" for u in q.users)]) or "nobody"
        print(f"{q.key}  {q.title_en} / {q.title_fr}  [{holders}]  office: {q.office or 'all'}")
    return 0


def _change(
    services: ServicesFactory, settings: Settings, args: argparse.Namespace, command: str
) -> int:
    principal = Principal(args.actor, "*", frozenset({Role.DESIGNER.value, Role.ADMIN.value}))
    fields = {
        name: getattr(args, name)
        for name in ("title_en", "title_fr", "roles", "users", "office")
        if getattr(args, name) is not None
    }
    with services(settings) as svc, changing(svc) as session:
        now = svc.clock.now()
        if command == "add":
            saved = work_queues.create_queue(session, principal, {"key": args.key, **fields}, now)
        else:
            saved = work_queues.update_queue(session, principal, args.key, fields, now)
    print(f"{'added' if command == 'add' else 'updated'} queue {saved.key}")
    return 0
