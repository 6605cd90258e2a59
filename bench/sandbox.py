"""Scenario: what the script sandbox costs per evaluation.

A script task and a gateway condition, each evaluated with the same task data (about twenty
fields, as an intake case has) three ways: the restricted interpreter in this process (how every
script ran before the sandbox), through the runtime's environment (the fast path for a bounded
condition, the pool for the script), and always through the pool. Target: the pool adds at most
1 ms per evaluation.

    .venv/bin/python -m bench sandbox
"""

from __future__ import annotations

from typing import Any

from bench.common import QUICK, Scenario, Target, summarize, time_calls
from engine.runtime.script_environment import SandboxedEnvironment
from engine.sandbox.interpreter import Interpreter
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.runner import SandboxRunner

SCRIPT = """total = 0
for amount in expenses:
    total += amount
eligible = total < threshold and household > 0
label = f"{client_name}: {total} $"
"""
CONDITION = "eligible and household >= 2 and status in ('open', 'review')"
TARGET_ADDED_S = 0.001


def ms(seconds: float) -> str:
    """Milliseconds with microsecond resolution: these costs are well under one."""
    return f"{seconds * 1000:.3f}"


def task_data() -> dict[str, Any]:
    data: dict[str, Any] = {f"field_{i}": f"value {i}" for i in range(14)}
    data.update(client_name="A. Client", expenses=[120, 80, 45.5, 300], threshold=900)
    data.update(household=3, status="open", eligible=True)
    return data


def measure(repeats: int) -> dict[str, Any]:
    data = task_data()
    runner = SandboxRunner(SandboxLimits(workers=1))
    local = Interpreter({})
    environment = SandboxedEnvironment(runner, {}, lambda _: {})
    try:
        for _ in range(50):  # warm-up: the process starts, caches fill
            runner.execute(SCRIPT, data)
            runner.evaluate(CONDITION, data)
        cases = {
            "script, in process (before)": lambda: local.execute(SCRIPT, dict(data)),
            "script, sandbox pool": lambda: environment.execute(SCRIPT, dict(data)),
            "condition, in process (before)": lambda: local.evaluate(CONDITION, data),
            "condition, runtime (fast path)": lambda: environment.evaluate(CONDITION, data),
            "condition, forced through the pool": lambda: runner.evaluate(CONDITION, data),
        }
        return {name: summarize(time_calls(call, repeats)) for name, call in cases.items()}
    finally:
        runner.close()


def run() -> Scenario:
    repeats = 500 if QUICK else 5_000
    data = measure(repeats)
    rows = [[name, int(s["n"]), ms(s["median"]), ms(s["p95"])] for name, s in data.items()]
    script_added = (
        data["script, sandbox pool"]["median"] - data["script, in process (before)"]["median"]
    )
    pool_added = (
        data["condition, forced through the pool"]["median"]
        - data["condition, in process (before)"]["median"]
    )
    fast_added = (
        data["condition, runtime (fast path)"]["median"]
        - data["condition, in process (before)"]["median"]
    )
    targets = [
        Target(
            "script task: pool adds ≤ 1 ms (p50)",
            f"{ms(script_added)} ms",
            script_added <= TARGET_ADDED_S,
        ),
        Target(
            "gateway condition: runtime adds ≤ 1 ms (p50)",
            f"{ms(fast_added)} ms",
            fast_added <= TARGET_ADDED_S,
        ),
        Target(
            "any expression through the pool: adds ≤ 1 ms (p50)",
            f"{ms(pool_added)} ms",
            pool_added <= TARGET_ADDED_S,
        ),
    ]
    return Scenario(
        name="sandbox",
        title="Script sandbox: per evaluation, in process vs sandbox pool",
        database="none (in memory)",
        sample=f"{repeats} evaluations each, after 50 warm-up rounds; ~20 fields of task data",
        header=["what", "n", "p50 ms", "p95 ms"],
        rows=rows,
        targets=targets,
        notes=["the pool path: task data JSON-encoded both ways and one pipe round trip"],
        data=data,
    )
