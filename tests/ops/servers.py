"""Real `caseway serve` processes for the fault tests, each on its own PostgreSQL database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.casework.commands import deploy_files
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal, add_user, issue_token
from engine.services import Services
from engine.store.db import transaction
from engine.store.migrate import upgrade

DESIGNER = Principal("dana", "sudbury", frozenset({"designer"}))


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, migrated database on the server `server_url` points at; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    target = make_url(server_url).set(database=name)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = target.render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, diagrams: list[Path], users: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
    """Deploy the diagrams and create the users; returns a bearer token per user."""
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
    try:
        deploy_files(svc, DESIGNER, [SourceFile(p.name, p.read_bytes()) for p in diagrams])
        with transaction(svc.sessions) as session:
            for username, (office, roles) in users.items():
                add_user(session, username, office=office, roles=roles, now=svc.clock.now())
            return {
                username: issue_token(session, username, now=svc.clock.now(), ttl=timedelta(1))
                for username in users
            }
    finally:
        svc.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CasewayServer:
    """`caseway serve` (API + scheduler) in a child process; its log goes to a file."""

    def __init__(
        self, database_url: str, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.extra_env = dict(env or {})
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CASEWAY_SCHEDULER": "true",
            "CASEWAY_FORMS_DIR": str(REPO_ROOT / "forms"),
            **self.extra_env,
        }
        command = [sys.executable, "-m", "engine.cli.main", "serve", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
            )

    def wait_ready(self, within: float = 45.0) -> float:
        """Poll /readyz until it answers 200; returns the seconds it took."""
        began = time.monotonic()
        while time.monotonic() - began < within:
            assert self.process is not None and self.process.poll() is None, self.log_tail()
            try:
                if requests.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling a real process: the only way to learn it is up
        raise AssertionError(f"server not ready within {within} s\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, in-flight transactions are lost."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def caseway_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )


def bearer(token: str, **headers: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **{k: str(v) for k, v in headers.items()}}
