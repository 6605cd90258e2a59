"""What the sandbox says when it refuses or stops a script; each message names the rule or limit,
because it becomes the text of the incident a person reads."""

from __future__ import annotations


class ScriptError(Exception):
    """The sandbox refused or stopped a script."""


class ScriptRejected(ScriptError):
    """The script tried something scripts may not do."""


class ScriptTimeout(ScriptError):
    """The script ran past its time limit (in the interpreter, on CPU or on the wall clock)."""


class ScriptTooLarge(ScriptError):
    """The script would have built a value larger than the size limit."""


class ScriptMemoryExceeded(ScriptError):
    """The sandbox process ran out of its address-space limit."""


class ScriptValueRefused(ScriptError):
    """A value the script produced cannot be stored as task data (a function, a generator...)."""


class SandboxFailed(ScriptError):
    """The sandbox process died or could not be started for a reason that is not a limit."""


class ScriptRaised(ScriptError):
    """The script raised an exception of a type that is not rebuilt as itself in the server."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}" if message else error_type)
        self.error_type = error_type


def timed_out(limit: float) -> ScriptTimeout:
    return ScriptTimeout(f"script timed out: it exceeded its time limit of {limit:g} s")


def out_of_memory(limit_bytes: int) -> ScriptMemoryExceeded:
    return ScriptMemoryExceeded(
        f"script exceeded its memory limit of {limit_bytes // (1024 * 1024):,} MB"
    )
