"""Scripts and expressions run in the pool: requests out, values or the script's error back.

The pool is created on first use, so a process that never runs a script never starts one.
"""

from __future__ import annotations

import atexit
import builtins
import threading
from collections.abc import Mapping
from typing import Any

from engine.sandbox import codec
from engine.sandbox.errors import (
    SandboxFailed,
    ScriptError,
    ScriptMemoryExceeded,
    ScriptRaised,
    ScriptRejected,
    ScriptTimeout,
    ScriptTooLarge,
    ScriptValueRefused,
)
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.pool import SandboxPool

_KINDS: dict[str, type[ScriptError]] = {
    "rejected": ScriptRejected,
    "timeout": ScriptTimeout,
    "too_large": ScriptTooLarge,
    "refused": ScriptValueRefused,
    "memory": ScriptMemoryExceeded,
}
# The script's own errors come back as themselves when they are ordinary builtin exceptions, so
# incidents and SpiffWorkflow's messages read as they would for a script run in the server.
_REBUILT = {
    name: getattr(builtins, name)
    for name in (
        "ArithmeticError AssertionError AttributeError IndexError KeyError LookupError "
        "NameError OverflowError RecursionError RuntimeError StopIteration TypeError "
        "UnboundLocalError ValueError ZeroDivisionError UnicodeError Exception"
    ).split()
}


class SandboxRunner:
    """Runs code in sandbox processes with the given limits."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._pool: SandboxPool | None = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> SandboxPool:
        with self._lock:
            if self._pool is None:
                self._pool = SandboxPool(self.limits)
                self._pool.start()
            return self._pool

    def evaluate(
        self,
        source: str,
        data: Mapping[str, Any],
        external: Mapping[str, Any] | None = None,
        helpers: Mapping[str, Any] | None = None,
    ) -> Any:
        answer = self._call("evaluate", source, data, external, helpers)
        return codec.decode(answer["value"])

    def execute(
        self,
        source: str,
        data: Mapping[str, Any],
        external: Mapping[str, Any] | None = None,
        helpers: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The task data after the script ran (a new dict)."""
        answer = self._call("execute", source, data, external, helpers)
        decoded: dict[str, Any] = codec.decode(answer["data"])
        return decoded

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _call(
        self,
        op: str,
        source: str,
        data: Mapping[str, Any],
        external: Mapping[str, Any] | None,
        helpers: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        request = {
            "op": op,
            "source": source,
            "data": codec.encode_data(dict(data)),
            "external": codec.encode_data(dict(external or {})),
            "helpers": dict(helpers or {}),
            "time_limit": self.limits.time_limit,
            "max_size": self.limits.max_size,
        }
        answer = self.pool.run(request, self.limits.time_limit)
        if answer.get("ok"):
            return answer
        raise _error_from(answer)


def _error_from(answer: Mapping[str, Any]) -> Exception:
    kind = answer.get("kind")
    if kind == "raised":
        name = str(answer.get("type", "Exception"))
        args = [str(a) for a in answer.get("args", [])]
        rebuilt = _REBUILT.get(name)
        return rebuilt(*args) if rebuilt is not None else ScriptRaised(name, ", ".join(args))
    error = _KINDS.get(str(kind))
    if error is None:
        return SandboxFailed(f"the sandbox answered something unexpected ({kind!r})")
    return error(str(answer.get("message", kind)))


_shared: dict[SandboxLimits, SandboxRunner] = {}
_shared_lock = threading.Lock()


def shared_runner(limits: SandboxLimits) -> SandboxRunner:
    """One runner (and so one pool) per set of limits in this process: every Services and
    Runtime built with the same settings shares it; closed when the interpreter exits."""
    with _shared_lock:
        runner = _shared.get(limits)
        if runner is None:
            runner = _shared[limits] = SandboxRunner(limits)
        return runner


def close_shared() -> None:
    with _shared_lock:
        runners = list(_shared.values())
        _shared.clear()
    for runner in runners:
        runner.close()


atexit.register(close_shared)
