"""A `caseway worker` dispatching email is killed -9 mid-run and restarted: every notice
reaches the SMTP server, none is lost, and a resend (the one in flight at the kill) carries the
same Message-ID, so the receiving system sees one message per notice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from engine.casework.commands import StartRequest, start_instance
from engine.config import REPO_ROOT, Settings
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import OutboxEntry
from tests.conftest import POSTGRES_URL
from tests.delivery.helpers import CLIENT, NOTIFY
from tests.delivery.receivers import free_port
from tests.ops.servers import scratch_database, seed

pytestmark = pytest.mark.ops
NOTICES = 120
CASEY = Principal("casey", "sudbury", frozenset({"caseworker"}))


class SlowSink:
    """An SMTP server that takes a little time per message, so a kill lands mid-run."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        await asyncio.sleep(0.02)
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("message-id:"):
                self.message_ids.append(line.split(":", 1)[1].strip())
        return "250 OK"


def _worker(url: str, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CASEWAY_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CASEWAY_OUTBOX_LEASE_SECONDS": "3",
        "CASEWAY_FORMS_DIR": str(REPO_ROOT / "forms"),
    }
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )


def _wait(condition, within: float, what: str) -> None:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    while time.monotonic() - began < within:
        if condition():
            return
        time.sleep(0.05)  # watching a real process: polling is the only way
    raise AssertionError(f"{what} within {within} s")


def test_a_killed_dispatcher_loses_nothing_and_resends_with_the_same_message_id(
    tmp_path: Path,
) -> None:
    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scratch_database(POSTGRES_URL, "caseway_dispatch_kill9") as url:
            seed(url, [NOTIFY], {"casey": ("sudbury", ["caseworker"])})
            svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
            for n in range(NOTICES):
                client = {**CLIENT, "email": f"client{n}@example.org"}
                data = {"channel": "email", "notice": "discretionary_benefit", "client": client}
                data["notice_data"] = {"approved": True, "amount": 10 + n, "purpose": "dental"}
                start_instance(svc, CASEY, StartRequest("notify_test", f"CASE-K{n}", data))

            first = _worker(url, port, tmp_path / "worker.log")
            _wait(lambda: len(sink.message_ids) >= NOTICES // 4, 60, "a quarter sent")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            at_kill = len(sink.message_ids)
            assert at_kill < NOTICES, "the kill came too late to test anything"

            second = _worker(url, port, tmp_path / "worker.log")
            try:

                def all_sent() -> bool:
                    with svc.sessions() as session:
                        pending = session.scalar(
                            select(func.count()).where(OutboxEntry.status != "sent")
                        )
                    return pending == 0

                _wait(all_sent, 90, "every notice sent")
            finally:
                second.terminate()
                second.wait(timeout=10)
            with svc.sessions() as session:
                ids = session.scalars(select(OutboxEntry.id)).all()
            svc.engine.dispose()
    finally:
        controller.stop()

    expected = {f"<caseway-outbox-{i}@caseway.invalid>" for i in ids}
    received = Counter(sink.message_ids)
    assert set(received) == expected  # nothing lost, nothing foreign
    resent = {mid: n for mid, n in received.items() if n > 1}
    assert len(resent) <= 1, resent  # only the message in flight at the kill, same Message-ID
