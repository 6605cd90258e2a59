"""One sandbox process seen from the server: start it, send a request, get the answer within a
wall-clock deadline, or kill it and say which limit it hit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from engine.sandbox.errors import (
    SandboxFailed,
    ScriptError,
    out_of_memory,
    timed_out,
)
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.protocol import ChannelClosed, ChannelTimeout, read_frame, write_frame

EXIT_OUT_OF_MEMORY = 3  # worker.py's exit status after a MemoryError


class SandboxProcess:
    """A started `engine.sandbox.worker`; used by one thread at a time (the pool sees to it)."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        command = [sys.executable, "-m", "engine.sandbox.worker"]
        command += ["--memory-bytes", str(limits.memory_bytes)]
        self.popen = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,  # a Ctrl+C meant for the server is not the sandbox's
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        self.started = time.monotonic()
        self.ready = False
        self.usable = True  # False once it hit a limit, died, or was killed

    @property
    def pid(self) -> int:
        return self.popen.pid

    def call(self, request: dict[str, Any], time_limit: float) -> dict[str, Any]:
        """The worker's answer; raises a ScriptError naming the limit when it had to be stopped.

        The wall clock starts once the process is ready, so a slow start never counts against
        the script; it counts against `startup_timeout` instead.
        """
        assert self.popen.stdin is not None and self.popen.stdout is not None
        fd_in, fd_out = self.popen.stdin.fileno(), self.popen.stdout.fileno()
        if not self.ready:
            self._await_ready(fd_out)
        try:
            write_frame(fd_in, request)
            answer: dict[str, Any] = read_frame(
                fd_out, time.monotonic() + time_limit + self.limits.wall_grace
            )
        except ChannelTimeout:
            self.stop(kill=True)
            raise timed_out(time_limit) from None
        except ChannelClosed:
            raise self._death(time_limit) from None
        if answer.get("kind") == "memory":
            self.stop(kill=True)
            raise out_of_memory(self.limits.memory_bytes)
        return answer

    def _await_ready(self, fd_out: int) -> None:
        try:
            hello = read_frame(fd_out, self.started + self.limits.startup_timeout)
        except (ChannelTimeout, ChannelClosed) as exc:
            self.stop(kill=True)
            raise SandboxFailed(f"the sandbox process did not start ({exc})") from None
        if not hello.get("ready"):
            self.stop(kill=True)
            raise SandboxFailed("the sandbox process did not start (unexpected greeting)")
        self.ready = True

    def _death(self, time_limit: float) -> ScriptError:
        """Why the process went away mid-request, as the incident should say it."""
        self.usable = False
        try:
            status = self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop(kill=True)
            status = self.popen.returncode
        self._close_pipes()
        if status == -signal.SIGXCPU:
            return timed_out(time_limit)
        if status == EXIT_OUT_OF_MEMORY or status == -signal.SIGKILL:
            return out_of_memory(self.limits.memory_bytes)
        return SandboxFailed(f"the sandbox process ended unexpectedly (status {status})")

    def stop(self, *, kill: bool = False) -> None:
        """End the process and reap it; closing stdin asks it to leave, SIGKILL makes it."""
        self.usable = False
        if self.popen.returncode is None:
            if kill:
                self.popen.kill()
            else:
                self._close_pipes()
            try:
                self.popen.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._close_pipes()

    def forget(self) -> None:
        """After fork, in the child: this process belongs to the parent; drop our copies of its
        pipes without waiting for it (it is not our child)."""
        self.usable = False
        self._close_pipes()
        self.popen.returncode = 0  # so Popen's finalizer does not warn about a process it owns

    def _close_pipes(self) -> None:
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass
