"""`caseway whatif PROCESS FILE… --weeks 8`: what a candidate version would have done to the
last weeks' cases (engine/supervision/whatif.py), old beside new."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.definitions.compile import read_paths
from engine.services import Services
from engine.supervision.whatif import ASSUMPTIONS, candidate_spec, parse_estimate, what_if

ServicesFactory = Callable[[Settings], AbstractContextManager[Services]]


def register(sub: Any, services: ServicesFactory) -> None:
    parser = sub.add_parser(
        "whatif", help="replay the last weeks' cases through a candidate version (nothing saved)"
    )
    parser.add_argument("process_id")
    parser.add_argument("files", nargs="+", type=Path, help="the candidate .bpmn (and its forms)")
    parser.add_argument("--weeks", type=int, default=8, help="how far back (1-52, default 8)")
    parser.add_argument("--office", help="only this office's cases (default: all)")
    parser.add_argument(
        "--estimate",
        action="append",
        default=[],
        metavar="TASK=HOURS",
        help="time a task that is new in the candidate takes (default: median of all tasks)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=lambda s, a: _whatif(services, s, a))


def _whatif(services: ServicesFactory, settings: Settings, args: argparse.Namespace) -> int:
    estimates = dict(parse_estimate(text) for text in args.estimate)
    with services(settings) as svc:
        candidate = candidate_spec(svc, args.process_id, read_paths(args.files))
        with svc.readers() as session:
            report = what_if(
                svc,
                session,
                args.process_id,
                candidate,
                weeks=args.weeks,
                estimates=estimates,
                office=args.office,
            ).as_dict()
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"what if {args.process_id}: {report['cases']} cases since {report['since'][:10]}")
    print(f"assumes: {ASSUMPTIONS}")
    header = ("task", "old on time", "new on time", "old late", "new late", "old esc", "new esc")
    rows = [header] + [_row(t["title"], t["old"], t["new"]) for t in report["tasks"]]
    rows.append(_row("all tasks", report["overall"]["old"], report["overall"]["new"]))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    if report["failed_cases"]:
        print(f"{report['failed_cases']} cases could not be replayed, e.g.:")
        for problem in report["problems"][:5]:
            print(f"  {problem}")
    return 0


def _row(title: str, old: dict | None, new: dict | None) -> tuple[str, ...]:
    def pct(side: dict | None) -> str:
        if side is None:
            return "-"
        return "n/a" if side["on_time_pct"] is None else f"{side['on_time_pct']}%"

    def n(side: dict | None, key: str) -> str:
        return "-" if side is None else str(side[key])

    return (
        title,
        pct(old),
        pct(new),
        n(old, "late"),
        n(new, "late"),
        n(old, "escalated"),
        n(new, "escalated"),
    )
