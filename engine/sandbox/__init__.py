"""The script sandbox: restricted compilation (policy.py), the interpreter, and the pool of
limited processes every script runs in. Pure: imports neither SpiffWorkflow, Flask nor
SQLAlchemy; engine/runtime/script_environment.py adapts it to SpiffWorkflow."""

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
from engine.sandbox.policy import check_expression, check_script

__all__ = [
    "SandboxFailed",
    "SandboxLimits",
    "ScriptError",
    "ScriptMemoryExceeded",
    "ScriptRaised",
    "ScriptRejected",
    "ScriptTimeout",
    "ScriptTooLarge",
    "ScriptValueRefused",
    "check_expression",
    "check_script",
]
