"""Injected time: everything that asks "what time is it" asks a Clock, so tests move time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """Wait for real (a long poll between looks)."""
        time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to; thread-safe so worker threads can share it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now = self._now + step
            return self._now

    def sleep(self, seconds: float) -> None:
        """Waiting moves the clock instead: code that polls runs at once in tests."""
        self.advance(seconds=seconds)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware time")
        with self._lock:
            self._now = moment
