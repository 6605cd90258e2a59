"""The OS limits of a sandbox process, and the numbers that configure them.

RLIMIT_AS bounds memory: an allocation past it fails with MemoryError inside the process, so a
runaway `x += iter(x)` ends there, not in the kernel's OOM killer. RLIMIT_CPU bounds CPU time:
it is cumulative per process, so its soft limit is moved before each request to "used so far
plus this request's budget"; past it the kernel sends SIGXCPU, which ends the process.
"""

from __future__ import annotations

import math
import resource
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    """One place for the numbers; built from Settings by the runtime."""

    time_limit: float = 2.0  # seconds a script may run (interpreter deadline, CPU and wall clock)
    memory_bytes: int = 256 * MB  # address space of each sandbox process
    max_size: int = 10_000_000  # largest value (characters/elements) a script may build
    wall_grace: float = 0.5  # extra wall-clock seconds before the server kills a silent process
    workers: int = 2  # sandbox processes kept ready per server process
    startup_timeout: float = 60.0  # a sandbox process must be ready within this

    def wall_clock(self, time_limit: float | None = None) -> float:
        return (self.time_limit if time_limit is None else time_limit) + self.wall_grace


def apply_process_limits(memory_bytes: int) -> None:
    """Called in the sandbox process before it reads any request."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))  # stdin, stdout, stderr and a few


def cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def set_cpu_budget(seconds: float) -> None:
    """Allow `seconds` more CPU (rounded up: the kernel counts whole seconds) from now on."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(cpu_used() + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
