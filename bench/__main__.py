"""Run the benchmark scenarios in order (or those named), print their tables and write
bench/results/latest.json (plus latest.md, the same tables in Markdown for docs/performance.md).

    .venv/bin/python -m bench                   # everything (~26 minutes on 2 cores)
    QUICK=1 .venv/bin/python -m bench           # short version (under 2 minutes)
    .venv/bin/python -m bench service inbox     # a selection

Benchmarks never fail on speed: the exit status is non-zero only when a scenario crashed.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

from bench.common import QUICK, RESULTS, Scenario, environment, print_scenario, write_result
from bench.markdown import render

SCENARIOS = (
    "floor",
    "sandbox",
    "service",
    "throughput",
    "history",
    "inbox",
    "case_search",
    "timers",
    "deadlines",  # a closure moves 100,000 open deadlines (PostgreSQL)
    "worker_start",
    "scale",
    "pooler",  # needs CASEWAY_BENCH_PGBOUNCER_URL (a PgBouncer in transaction mode)
    "dispatch",
    "footprint",
    "whatif",
    "load",  # 50 simulated staff for 5 minutes (QUICK: 20 s); also `python -m bench.load`
    "profile",  # py-spy on the server; in the full run only
)


def run_one(name: str) -> dict[str, Any]:
    module = importlib.import_module(f"bench.{name}")
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        result: Scenario = module.run()
    except Exception as exc:  # report and go on with the next scenario
        traceback.print_exc()
        return {"name": name, "error": f"{type(exc).__name__}: {exc}"}
    payload = result.as_dict()
    payload["seconds"] = round(time.perf_counter() - started, 1)
    payload["load_average_1m"] = {"start": load_before, "end": os.getloadavg()[0]}
    print_scenario(result)
    load = payload["load_average_1m"]
    print(f"   ({payload['seconds']} s; load average {load['start']:.1f} → {load['end']:.1f})")
    write_result(name, payload)
    return payload


def main(argv: list[str]) -> int:
    unknown = [a for a in argv if a not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
        return 2
    chosen = argv or [s for s in SCENARIOS if not (QUICK and s == "profile")]
    print(f"Caseway benchmarks ({'QUICK' if QUICK else 'full'}): {', '.join(chosen)}", flush=True)
    started = time.perf_counter()
    results = [run_one(name) for name in chosen]
    report = {
        "environment": environment(),
        "seconds": round(time.perf_counter() - started, 1),
        "scenarios": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / "latest.md").write_text(render(report))
    print(f"\nwrote {RESULTS / 'latest.json'} and latest.md in {report['seconds']} s")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
