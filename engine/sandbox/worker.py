"""A sandbox process: `python -m engine.sandbox.worker --memory-bytes N`.

Imports and warms what trusted helpers need, applies its OS limits, says it is ready, then
answers one request at a time on stdin/stdout until stdin closes. A request that ran out of
memory is answered (if it still can be) and the process exits, so the pool starts a fresh one.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from datetime import UTC, datetime
from typing import Any

from engine.sandbox import codec
from engine.sandbox.clocked import from_description as clocked_from
from engine.sandbox.errors import (
    ScriptError,
    ScriptMemoryExceeded,
    ScriptRejected,
    ScriptTimeout,
    ScriptTooLarge,
    ScriptValueRefused,
)
from engine.sandbox.helpers import prepare, trusted_globals, warm
from engine.sandbox.interpreter import Interpreter
from engine.sandbox.limits import apply_process_limits, set_cpu_budget
from engine.sandbox.protocol import ChannelClosed, read_frame, write_frame

EXIT_OUT_OF_MEMORY = 3
KINDS: dict[type[ScriptError], str] = {
    ScriptRejected: "rejected",
    ScriptTimeout: "timeout",
    ScriptTooLarge: "too_large",
    ScriptValueRefused: "refused",
    ScriptMemoryExceeded: "memory",
}


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Run one request; every outcome is a message, never an exception."""
    clocked = clocked_from(request.get("helpers"))
    interpreter = Interpreter(
        trusted_globals(request.get("helpers")),
        time_limit=float(request["time_limit"]),
        max_size=int(request["max_size"]),
        clock=lambda: clocked,
    )
    data = codec.decode(request.get("data") or {})
    external = codec.decode(request.get("external") or {})
    try:
        if request["op"] == "evaluate":
            value = interpreter.evaluate(request["source"], data, external)
            return {"ok": True, "value": codec.encode(value, "the expression's value")}
        interpreter.execute(request["source"], data, external)
        return {"ok": True, "data": codec.encode_data(data)}
    except MemoryError:
        raise
    except ScriptError as exc:
        kind = next((k for t, k in KINDS.items() if isinstance(exc, t)), "rejected")
        return {"ok": False, "kind": kind, "message": str(exc)}
    except Exception as exc:  # the script's own error: sent back by type name and text
        args = [a if isinstance(a, str) else repr(a) for a in exc.args[:1]]
        return {"ok": False, "kind": "raised", "type": type(exc).__name__, "args": args}


def serve(fd_in: int, fd_out: int) -> int:
    while True:
        try:
            request = read_frame(fd_in)
        except ChannelClosed:
            return 0
        try:
            prepare(request.get("helpers"))  # trusted work, before the script's CPU budget
        except (KeyError, TypeError, ValueError):
            pass  # a malformed description fails again, and is reported, in handle()
        set_cpu_budget(float(request["time_limit"]) + 1.0)
        try:
            answer = handle(request)
        except MemoryError:
            answer = None
        if answer is None:
            gc.collect()
            try:
                write_frame(fd_out, {"ok": False, "kind": "memory"})
            except (MemoryError, ChannelClosed):
                pass
            return EXIT_OUT_OF_MEMORY
        try:
            write_frame(fd_out, answer)
        except MemoryError:
            write_frame(fd_out, {"ok": False, "kind": "memory"})
            return EXIT_OUT_OF_MEMORY
        except ChannelClosed:
            return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="engine.sandbox.worker")
    parser.add_argument("--memory-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    fd_in, fd_out = sys.stdin.buffer.fileno(), sys.stdout.buffer.fileno()
    sys.stdout = sys.stderr  # nothing may write into the protocol stream by accident
    warm(datetime.now(UTC).date())
    apply_process_limits(args.memory_bytes)
    write_frame(fd_out, {"ready": True, "pid": os.getpid()})
    return serve(fd_in, fd_out)


if __name__ == "__main__":
    raise SystemExit(main())
