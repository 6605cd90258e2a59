"""`datetime` and `date` for scripts and expressions that read the engine's clock.

`datetime.now()`, `datetime.today()` and `date.today()` inside a script are the command's
"now" (the injected clock, so tests and replays are deterministic) in the office's time zone,
naive like Python's own local time; `datetime.now(tz)` is that moment in `tz`, and
`datetime.utcnow()` the naive UTC time. Everything else is the standard class.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo


def clocked_builtins(now: datetime, zone: str) -> dict[str, Any]:
    """The two builtins to put in front of the standard ones for one command."""
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone))

    class ClockedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return local.astimezone(tz) if tz is not None else local.replace(tzinfo=None)

        @classmethod
        def today(cls) -> datetime:  # type: ignore[override]
            return local.replace(tzinfo=None)

        @classmethod
        def utcnow(cls) -> datetime:  # type: ignore[override]
            return moment.astimezone(UTC).replace(tzinfo=None)

    class ClockedDate(date):
        @classmethod
        def today(cls) -> date:  # type: ignore[override]
            return local.date()

    ClockedDatetime.__name__ = ClockedDatetime.__qualname__ = "datetime"
    ClockedDate.__name__ = ClockedDate.__qualname__ = "date"
    return {"datetime": ClockedDatetime, "date": ClockedDate}


def from_description(description: Any) -> dict[str, Any] | None:
    """The clocked builtins a sandbox request describes ("now" and "zone"), or None."""
    if not isinstance(description, Mapping) or "now" not in description:
        return None
    return _cached(str(description["now"]), str(description.get("zone") or "UTC"))


@functools.lru_cache(maxsize=64)
def _cached(now: str, zone: str) -> dict[str, Any]:
    """One pair of classes per command's "now" (an expression is evaluated many times)."""
    return clocked_builtins(datetime.fromisoformat(now), zone)
