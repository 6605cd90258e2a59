"""`caseway migrate`: move running cases between versions of a process (dry run by default)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from engine.casework.case_moves import CaseCheck, MigrationRequest, migrate
from engine.config import Settings
from engine.identity.users import Principal
from engine.policy import Role
from engine.services import Services

ServicesFactory = Callable[[Settings], AbstractContextManager[Services]]


def register(sub: Any, services: ServicesFactory) -> None:
    parser = sub.add_parser(
        "migrate", help="move running cases of one version to another (dry run unless --apply)"
    )
    parser.add_argument("process_id")
    parser.add_argument("--from", dest="from_version", type=int, required=True)
    parser.add_argument("--to", dest="to_version", type=int, required=True)
    parser.add_argument("--instance", dest="instances", action="append", help="only this case")
    parser.add_argument("--apply", action="store_true", help="move them (default: dry run)")
    parser.add_argument("--as", dest="actor", default="cli", help="recorded as the mover")
    parser.set_defaults(run=lambda s, a: _migrate(services, s, a))


def _migrate(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    wanted = MigrationRequest(
        process_id=args.process_id,
        from_version=args.from_version,
        to_version=args.to_version,
        instance_ids=tuple(args.instances) if args.instances else None,
        dry_run=not args.apply,
    )
    principal = Principal(args.actor, "*", frozenset({Role.DESIGNER.value, Role.ADMIN.value}))
    with services(settings) as svc:
        report = migrate(svc, principal, wanted)
    verb = "would move" if report.dry_run else "moved"
    for case in report.moved:
        print(f"{verb:10} {_case(case)}  waiting: {', '.join(case.waiting) or '-'}")
    for case in report.blocked:
        reasons = "; ".join(b.message for b in case.blockers)
        print(f"{'blocked':10} {_case(case)}  {reasons}")
    print(
        f"{args.process_id} v{report.from_version} -> v{report.to_version}: "
        f"{len(report.moved)} {verb}, {len(report.blocked)} blocked"
        + ("  (dry run: add --apply to move them)" if report.dry_run else "")
    )
    return 1 if report.blocked and not report.dry_run else 0


def _case(case: CaseCheck) -> str:
    return f"{case.instance_id}  {case.business_key}"
