"""A pool of pre-started sandbox processes, shared by the threads of one server process.

A process that hit a limit, died or was killed is replaced by a fresh one at once. After a fork
the child forgets the parent's processes (their pipes are closed in the child, they are not
waited for) and starts its own on first use. `close()` ends every process and reaps it.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from engine.sandbox.errors import SandboxFailed
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.process import SandboxProcess

_pools: weakref.WeakSet[SandboxPool] = weakref.WeakSet()


class SandboxPool:
    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._size = max(1, limits.workers)
        self._lock = threading.Condition()
        self._idle: list[SandboxProcess] = []
        self._all: list[SandboxProcess] = []
        self._closed = False
        self._owner = os.getpid()
        self.replaced = 0  # processes replaced after a limit or a death (for metrics and tests)
        _pools.add(self)
        # Reap whatever is left if the pool is dropped without close() (e.g. a test's Services).
        self._finalizer = weakref.finalize(self, _stop_all, self._all)

    def start(self) -> None:
        """Pre-start the processes (they import and warm in the background)."""
        with self._lock:
            while len(self._all) < self._size and not self._closed:
                self._spawn()

    def run(self, request: dict[str, Any], time_limit: float) -> dict[str, Any]:
        """Send `request` to a free process; ScriptError subclasses name a limit that was hit."""
        process = self._acquire()
        try:
            return process.call(request, time_limit)
        finally:
            self._release(process)

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self._all]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            processes, self._idle = list(self._all), []
            self._all.clear()
            self._lock.notify_all()
        _stop_all(processes)

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self) -> SandboxProcess:
        process = SandboxProcess(self.limits)
        self._all.append(process)
        self._idle.append(process)
        return process

    def _acquire(self) -> SandboxProcess:
        with self._lock:
            if self._closed:
                raise SandboxFailed("the script sandbox is shut down")
            if os.getpid() != self._owner:
                self._after_fork()
            while not self._idle:
                if len(self._all) < self._size:
                    self._spawn()
                    break
                self._lock.wait()
                if self._closed:
                    raise SandboxFailed("the script sandbox is shut down")
            return self._idle.pop()

    def _release(self, process: SandboxProcess) -> None:
        retired = None
        with self._lock:
            if process not in self._all:
                retired = process  # the pool was closed or forked meanwhile
            elif process.usable and process.popen.poll() is None:
                self._idle.append(process)
            else:
                self._all.remove(process)
                retired = process
                self.replaced += 1
                if not self._closed:
                    self._spawn()
            self._lock.notify()
        if retired is not None:
            retired.stop(kill=True)

    def _after_fork(self) -> None:
        """In a forked child: the parent's processes are not ours to use or to wait for."""
        for process in self._all:
            process.forget()
        self._all.clear()
        self._idle.clear()
        self._owner = os.getpid()


def _stop_all(processes: list[SandboxProcess]) -> None:
    for process in processes:
        process.stop()
    processes.clear()


def _forget_in_child() -> None:
    for pool in list(_pools):
        pool._lock = threading.Condition()  # a lock held by another thread at fork stays held
        pool._after_fork()


os.register_at_fork(after_in_child=_forget_in_child)
