"""API tokens remembered for a few seconds per process, so most requests skip the database.

A bearer token is looked up on every API request; under load that lookup (a pooled connection
and a round trip) was a fifth of a request's time. A process keeps what it found for
`auth_cache_seconds` (default 5 s, `CASEWAY_AUTH_CACHE_SECONDS`; 0 turns the cache off), never
past the token's own expiry. That is the revocation window: a token revoked, or a user
deactivated, through another process (`caseway users revoke` is one) is refused by every server
at most that many seconds later. Unknown tokens are never cached, so a new token works at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from engine.identity.users import Principal

Found = tuple[Principal, datetime]  # the principal and its token's expiry


class TokenCache:
    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self.window = timedelta(seconds=max(0.0, seconds))
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[Principal, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def principal(
        self, token_hash: str, now: datetime, load: Callable[[], Found | None]
    ) -> Principal | None:
        """The cached principal of `token_hash` while fresh, else `load()` (and remember it)."""
        if not self.window:
            found = load()
            return found[0] if found else None
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is not None and now < entry[1]:
                self._entries.move_to_end(token_hash)
                return entry[0]
        found = load()
        if found is None:
            self.forget(token_hash)
            return None
        principal, expires_at = found
        with self._lock:
            self._entries[token_hash] = (principal, min(now + self.window, expires_at))
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return principal

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

    def forget_user(self, username: str) -> None:
        """Revocation in this process takes effect at once, not after the window."""
        with self._lock:
            for key in [k for k, (p, _) in self._entries.items() if p.username == username]:
                del self._entries[key]
