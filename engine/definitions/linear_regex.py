"""Regular expressions from uploaded forms, matched in linear time (RE2), never by Python's
backtracking `re`: `^(a+)+$` against 28 characters froze the server for 31 s."""

from __future__ import annotations

import functools
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the designer, not to stderr
_OPTIONS.max_mem = 8 << 20  # a pattern whose automaton needs more is refused, not built


class PatternRefused(ValueError):
    """RE2 cannot compile the pattern (backreferences, lookaround, or too large)."""


@functools.lru_cache(maxsize=2048)
def compile_pattern(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternRefused(f"pattern {pattern!r} is not supported ({reason})") from None


def search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None
