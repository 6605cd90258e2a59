"""Login throttling: after repeated wrong passwords for one username from one address, refuse
further tries for a while, so passwords cannot be guessed at speed.

Counts live in the process (each server process keeps its own); the clock is injected.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from engine.clock import Clock


class LoginThrottle:
    def __init__(
        self, clock: Clock, *, max_failures: int = 5, window: timedelta = timedelta(minutes=15)
    ) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until this pair may try again (0: now)."""
        with self._lock:
            recent = self._recent((username.lower(), address))
            if len(recent) < self.max_failures:
                return 0
            wait = recent[0] + self.window - self.clock.now()
            return max(1, int(wait.total_seconds()))

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            key = (username.lower(), address)
            self._recent(key).append(self.clock.now())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)

    def _recent(self, key: tuple[str, str]) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        cutoff = self.clock.now() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        return times
