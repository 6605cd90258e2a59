"""The scheduler's work: fire every due timer, earliest first, until nothing is due.

Each step is the command `commands.fire_due_batch`: one transaction that claims up to a batch
of instances with due timers (FOR UPDATE … SKIP LOCKED on PostgreSQL) in one statement and
fires each in its own savepoint. Several workers therefore take different instances, and a
worker that dies mid-batch rolls back, leaving those timers due for the next one.
"""

from __future__ import annotations

import logging

from engine.casework.commands import fire_due_batch
from engine.services import Services
from engine.supervision.jobs import apply_started_absences, reroute_from_absent

log = logging.getLogger(__name__)

# Instances per claim. Larger batches mean fewer claim statements and commits per timer, but
# hold more cases locked at once (a user's command on one of them waits for the batch, up to
# the lock timeout): at ~10-20 ms per firing, 25 is a few hundred milliseconds.
BATCH_SIZE = 25


def tick(svc: Services, limit: int = 100_000, batch_size: int = BATCH_SIZE) -> int:
    """Fire everything due now (at most `limit` instance firings); returns how many fired."""
    _start_absences(svc)
    fired = 0
    failed: set[str] = set()
    while fired < limit:
        try:
            batch = fire_due_batch(
                svc, limit=min(batch_size, limit - fired), skip=frozenset(failed)
            )
        except Exception:  # the database went away mid-batch: the next pass tries again
            log.exception("claiming due timers failed")
            break
        fired += batch.fired
        failed.update(batch.failed)
        if batch.claimed == 0:
            break
    return fired


def _start_absences(svc: Services) -> None:
    """Absences recorded ahead start here, and work still landing on someone away moves on;
    a failure must not stop the timers."""
    try:
        apply_started_absences(svc)
        reroute_from_absent(svc)
    except Exception:
        log.exception("starting absences failed")
