"""A real `caseway serve` runs hostile scripts while another user keeps working.

`round(1, -10**7)` (a C-level computation no tracer can interrupt) and `x = [0]; x += iter(x)`
(growth until memory runs out) used to freeze or kill the server. Now each runs in a sandbox
process: the instance ends in an incident naming the limit, another user's `GET /api/me` keeps
answering in under a second, and the server's memory stays where it was. SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from engine.store.migrate import upgrade
from tests.conftest import POSTGRES_URL
from tests.engine.hostile import script_process
from tests.ops.servers import CasewayServer, bearer, scratch_database, seed

HOSTILE = {
    "hostile_round": ("x = round(1, -10**7)", "time limit"),
    "hostile_growth": ("x = [0]\nx += iter(x)", "memory limit"),
}
USERS = {"casey": ("sudbury", ["caseworker"]), "cole": ("sudbury", ["caseworker"])}
RSS_HEADROOM = 512 * 1024 * 1024


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'caseway.sqlite3'}"
        upgrade(url)
        yield url
    else:
        with scratch_database(POSTGRES_URL, "caseway_sandbox") as url:
            yield url


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


class Watcher(threading.Thread):
    """Another user's GET /api/me in a loop, and the server's RSS, until told to stop."""

    def __init__(self, server: CasewayServer, token: str) -> None:
        super().__init__(daemon=True)
        self.server, self.token = server, token
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self.peak_rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        assert self.server.process is not None
        while not self.done.is_set():
            began = time.monotonic()
            try:
                answer = requests.get(
                    f"{self.server.base}/api/me", headers=bearer(self.token), timeout=10
                )
                self.statuses.append(answer.status_code)
            except requests.RequestException:
                self.statuses.append(0)
            self.latencies.append(time.monotonic() - began)
            self.peak_rss = max(self.peak_rss, rss_bytes(self.server.process.pid))
            self.done.wait(0.05)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hostile_scripts_end_in_incidents_while_the_server_keeps_answering(
    backend: str, tmp_path: Path
) -> None:
    diagrams = []
    for pid, (script, _limit) in HOSTILE.items():
        path = tmp_path / f"{pid}.bpmn"
        path.write_bytes(script_process(pid, script))
        diagrams.append(path)
    with database(backend, tmp_path) as url:
        tokens = seed(url, diagrams, USERS)
        server = CasewayServer(url, tmp_path / "server.log", env={"CASEWAY_SCRIPT_TIME_LIMIT": "3"})
        server.start()
        try:
            server.wait_ready()
            assert server.process is not None
            requests.get(f"{server.base}/api/me", headers=bearer(tokens["cole"]), timeout=10)
            start_rss = rss_bytes(server.process.pid)
            watcher = Watcher(server, tokens["cole"])
            watcher.start()
            incidents = {}
            for pid in HOSTILE:
                body = {"process_id": pid, "business_key": f"K-{pid}", "data": {}}
                started = requests.post(
                    f"{server.base}/api/instances",
                    json=body,
                    headers=bearer(tokens["casey"]),
                    timeout=60,
                )
                assert started.status_code == 201, started.text
                instance = requests.get(
                    f"{server.base}/api/instances/{started.json()['id']}",
                    headers=bearer(tokens["casey"]),
                    timeout=10,
                ).json()
                incidents[pid] = (instance["status"], instance["incidents"])
            watcher.done.set()
            watcher.join(timeout=15)
        finally:
            server.stop()
    for pid, (_script, limit) in HOSTILE.items():
        status, found = incidents[pid]
        assert status == "error", server.log_tail()
        assert len(found) == 1 and found[0]["task_name"] == "step"
        assert f"exceeded its {limit}" in found[0]["message"]
    assert watcher.statuses and set(watcher.statuses) == {200}
    # A server frozen by a hostile script answers only after the script's 3 s limit; one that
    # keeps serving answers well inside it, however busy the machine is otherwise.
    assert max(watcher.latencies) < 3.0, sorted(watcher.latencies)[-5:]
    assert watcher.peak_rss - start_rss < RSS_HEADROOM
