"""Hostile diagrams through the real runtime: every script runs in a sandbox process, so a C-level
freeze, a runaway allocation or a value that cannot be stored ends in an incident that names the
limit or rule, while the calling process carries on. Limits are small so the kills are quick."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from engine.clock import FakeClock
from engine.deadlines import calendar
from engine.deadlines.business_time import business_functions
from engine.definitions.compile import DefinitionInvalid
from engine.runtime import RunContext, Runtime
from engine.runtime.script_environment import SandboxedEnvironment
from engine.sandbox import ScriptTimeout
from engine.sandbox.budget import trusted
from engine.sandbox.fastpath import is_bounded
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.runner import SandboxRunner
from handlers import HandlerRegistry
from tests.engine.hostile import (
    compiled,
    decision_process,
    decision_table,
    gateway_process,
    script_process,
)

RUN = RunContext("instance-1", "case-1")
LIMIT = 0.5


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    sandbox = SandboxRunner(SandboxLimits(time_limit=LIMIT, memory_bytes=256 << 20, workers=2))
    yield sandbox
    sandbox.close()


@pytest.fixture
def runtime(runner: SandboxRunner) -> Runtime:
    return Runtime(HandlerRegistry(), FakeClock(), script_time_limit=LIMIT, sandbox=runner)


def start_script(runtime: Runtime, script: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    spec = compiled(("hostile.bpmn", script_process("hostile", script)))
    return runtime.start(spec, data or {}, RUN)


def test_ordinary_script_runs_in_the_pool(runtime: Runtime) -> None:
    outcome = start_script(
        runtime, "total = sum(amounts)\nlabel = f'{total} $'", {"amounts": [1, 2]}
    )
    assert outcome.status == "completed"
    assert outcome.data == {"amounts": [1, 2], "total": 3, "label": "3 $"}


@pytest.mark.parametrize(
    "script",
    ["x = round(1, -10**7)", "x = sorted(map(hash, map(hex, range(9999999))))"],
    ids=["round", "sorted-map"],
)
def test_c_level_freeze_is_stopped_at_the_time_limit(runtime: Runtime, script: str) -> None:
    started = time.monotonic()
    outcome = start_script(runtime, script)
    elapsed = time.monotonic() - started
    assert outcome.status == "error"
    assert outcome.incident is not None and outcome.incident.task_name == "step"
    assert "limit" in outcome.incident.message
    assert "Error evaluating" not in outcome.incident.message
    assert elapsed < LIMIT + 3  # the kill, not the 40-100 s the computation would take


@pytest.mark.parametrize(
    "script",
    ["x = [0]\nx += iter(x)", "x = [0]\nx.extend(iter(x))", "x = [0]\nany(map(x.append, x))"],
    ids=["iadd", "extend", "append"],
)
def test_runaway_allocation_hits_the_memory_limit(runtime: Runtime, script: str) -> None:
    outcome = start_script(runtime, script)
    assert outcome.status == "error"
    assert outcome.incident is not None
    # Growing by C-level extend reaches 256 MB in well under the time limit; one append per
    # element may be stopped by the clock first. Either way, a limit is named and enforced.
    assert re.search(r"exceeded its (memory limit of 256 MB|time limit)", outcome.incident.message)


def test_timeout_incident_says_timed_out(runtime: Runtime) -> None:
    outcome = start_script(runtime, "while True:\n    pass")
    assert outcome.incident is not None
    assert "ScriptTimeout: script timed out" in outcome.incident.message


def test_gateway_condition_that_freezes_ends_in_an_incident(runtime: Runtime) -> None:
    spec = compiled(("gate.bpmn", gateway_process("gate", "round(1, -10**7) == 1")))
    outcome = runtime.start(spec, {}, RUN)
    assert outcome.status == "error"
    assert outcome.incident is not None and "timed out" in outcome.incident.message


def test_gateway_conditions_that_are_bounded_stay_in_process(runtime: Runtime) -> None:
    spec = compiled(("gate.bpmn", gateway_process("gate", "amount > 250 and kind in ('a', 'b')")))
    assert runtime.start(spec, {"amount": 300, "kind": "a"}, RUN).status == "completed"
    assert is_bounded("amount > 250 and kind in ('a', 'b')")
    assert not is_bounded("round(1, -10**7) == 1")


@pytest.mark.parametrize(
    "script, refused",
    [("g = (i for i in [1])", "'g' is a generator"), ("f = [len]", "'f'[0] is a function")],
)
def test_values_that_cannot_be_stored_are_refused_naming_the_step(
    runtime: Runtime, script: str, refused: str
) -> None:
    outcome = start_script(runtime, script)
    assert outcome.status == "error"
    assert outcome.incident is not None and outcome.incident.task_name == "step"
    assert refused in outcome.incident.message
    assert "0x" not in outcome.data.__repr__()


def test_script_sees_the_injected_clock_and_business_days(runtime: Runtime) -> None:
    runtime.clock = FakeClock(datetime(2027, 1, 4, 14, 0, tzinfo=UTC))  # Monday 09:00 Toronto
    outcome = start_script(
        runtime, "due = business_days(standard('applicant_contact_business_days'))"
    )
    assert outcome.status == "completed", outcome.incident
    assert outcome.data["due"] == "2027-01-06 14:00:00+00:00"


def decide(runtime: Runtime, input_cell: str, output_cell: str):  # type: ignore[no-untyped-def]
    spec = compiled(
        ("decide.bpmn", decision_process("decide", "tier")),
        ("tier.dmn", decision_table("tier", input_cell, output_cell)),
    )
    return runtime.start(spec, {"amount": 10}, RUN)


def test_dmn_cells_are_checked_at_deploy_naming_the_rule() -> None:
    with pytest.raises(DefinitionInvalid) as refused:
        compiled(
            ("decide.bpmn", decision_process("decide", "tier")),
            ("tier.dmn", decision_table("tier", "< 5", "().__class__.__base__")),
        )
    assert "rule 1 output entry" in refused.value.problems[0].message
    with pytest.raises(DefinitionInvalid, match="rule 1 input entry"):
        compiled(
            ("decide.bpmn", decision_process("decide", "tier")),
            ("tier.dmn", decision_table("tier", "__import__('os')", '"x"')),
        )


def test_dmn_cell_that_freezes_is_an_incident_naming_the_rule(runtime: Runtime) -> None:
    outcome = decide(runtime, "round(1, -10**7)", '"small"')
    assert outcome.status == "error"
    assert outcome.incident is not None
    assert "timed out" in outcome.incident.message
    assert "row 1" in outcome.incident.message


@pytest.mark.parametrize("output", ["lambda: 7", "(i for i in [1])"])
def test_dmn_output_that_cannot_be_stored_is_an_incident(runtime: Runtime, output: str) -> None:
    outcome = decide(runtime, "< 50", output)
    assert outcome.status == "error"
    assert outcome.incident is not None and "cannot be stored" in outcome.incident.message
    assert "function" not in str(outcome.data.get("tier", ""))


def test_ordinary_dmn_still_decides(runtime: Runtime) -> None:
    outcome = decide(runtime, "< 50", '"small"')
    assert outcome.status == "completed" and outcome.data["tier"] == "small"


def test_trusted_calendar_work_does_not_count_against_the_budget() -> None:
    """Cold holiday tables took longer than a tight limit; the helper is now off the budget."""
    calendar._ontario.cache_clear()
    calendar._closed_holidays.cache_clear()
    clock = FakeClock(datetime(2031, 3, 3, 14, 0, tzinfo=UTC))
    office = calendar.default_calendar()
    functions = {k: trusted(f) for k, f in business_functions(lambda: office, clock.now).items()}
    runner = SandboxRunner(SandboxLimits(time_limit=0.001))
    environment = SandboxedEnvironment(runner, functions, lambda _: {})
    try:
        due = environment.evaluate("business_days(2)", {})
    finally:
        runner.close()
    assert due == datetime(2031, 3, 5, 14, 0, tzinfo=UTC)


def test_the_calling_process_stays_usable_after_kills(runner: SandboxRunner) -> None:
    with pytest.raises(ScriptTimeout):
        runner.execute("x = round(1, -10**7)", {})
    assert runner.execute("y = 1", {}) == {"y": 1}
    assert runner.pool.replaced >= 1
