"""The one door through which pages, routes and the command line change data.

A face (engine/api, engine/web, engine/cli) never opens a transaction itself: `lint-imports`
forbids it `engine.store.db`. It reads through `svc.readers()` (read sessions refuse writes)
and changes state either through a command (`engine.casework.commands`, `task_actions`, …)
or, for the supervision and office operations that are one domain call each, through
`changing(svc)`: one transaction, committed on success, rolled back on any error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from engine.services import Services
from engine.store.db import transaction


@contextmanager
def changing(svc: Services) -> Iterator[Session]:
    """One state change, one transaction (DESIGN.md rule 1)."""
    with transaction(svc.sessions) as session:
        yield session
