"""The pool's lifecycle: processes are reaped after kills and on close (no zombies, no leaked
pipes), a forked child gets processes of its own, and the OS limits are the worker's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.sandbox import ScriptMemoryExceeded, ScriptTimeout
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.runner import SandboxRunner


@pytest.fixture
def runner() -> Iterator[SandboxRunner]:
    sandbox = SandboxRunner(
        SandboxLimits(time_limit=3.0, workers=1)
    )  # room for the memory case on a busy machine
    yield sandbox
    sandbox.close()


def _state(pid: int) -> str | None:
    """The process's state letter (Z: zombie), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_killed_processes_are_reaped_and_replaced(runner: SandboxRunner) -> None:
    first = runner.pool.pids
    with pytest.raises(ScriptTimeout):
        runner.execute("x = round(1, -10**7)", {})
    with pytest.raises(ScriptMemoryExceeded):
        runner.execute("x = [0]\nx += iter(x)", {})
    assert all(_state(pid) is None for pid in first)
    assert runner.pool.replaced == 2
    assert runner.execute("y = 2", {}) == {"y": 2}


def test_close_ends_every_process_and_its_pipes() -> None:
    before = _open_fds()
    sandbox = SandboxRunner(SandboxLimits(workers=2))
    assert sandbox.evaluate("sorted([2, 1])", {}) == [1, 2]
    pids = sandbox.pool.pids
    sandbox.close()
    assert all(_state(pid) is None for pid in pids)
    assert _open_fds() == before


def test_limits_are_set_in_the_worker(runner: SandboxRunner) -> None:
    pid = runner.pool.pids[0]
    runner.execute("y = 1", {})  # the process is ready, so its limits are applied
    limits = Path(f"/proc/{pid}/limits").read_text()
    address_space = next(line for line in limits.splitlines() if "address space" in line)
    assert str(256 * 1024 * 1024) in address_space


def test_a_forked_child_uses_its_own_processes(runner: SandboxRunner) -> None:
    parent_pids = runner.pool.pids
    assert runner.execute("y = 1", {}) == {"y": 1}
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        ok = False
        try:
            ok = runner.execute("z = 3", {}) == {"z": 3}
            ok = ok and not set(runner.pool.pids) & set(parent_pids)
            runner.close()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert runner.pool.pids == parent_pids
    assert runner.execute("y = 2", {}) == {"y": 2}
