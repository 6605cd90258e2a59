"""`caseway check`: report cases whose task, timer and wait rows disagree with their state."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from engine.casework.consistency import check_instances
from engine.config import Settings
from engine.services import Services

ServicesFactory = Callable[[Settings], AbstractContextManager[Services]]


def register(sub: Any, services: ServicesFactory) -> None:
    parser = sub.add_parser(
        "check",
        help="check that every case's task, timer and wait rows agree with its state "
        "(exit status 1 when some do not)",
    )
    parser.add_argument("--instance", dest="instances", action="append", help="only this case")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(run=lambda s, a: _check(services, s, a))


def _check(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    with services(settings) as svc:
        report = check_instances(svc, args.instances)
    if args.json:
        print(
            json.dumps(
                {
                    "checked": report.checked,
                    "disagreements": [d.as_dict() for d in report.disagreements],
                },
                indent=2,
            )
        )
    else:
        for case in report.disagreements:
            for problem in case.problems:
                print(f"{case.instance_id}  {case.business_key}  {case.status}: {problem}")
        print(
            f"checked {report.checked} case(s): "
            + (f"{len(report.disagreements)} disagree" if report.disagreements else "all agree")
        )
    return 1 if report.disagreements else 0
