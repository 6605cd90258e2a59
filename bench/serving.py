"""The real HTTP server as a subprocess on 127.0.0.1, and a small keep-alive JSON client.

`caseway serve` is werkzeug's threaded server (one thread per connection, HTTP/1.1 keep-alive);
`gunicorn` runs the same app with gthread workers when it is installed (the `bench` extra).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import scratch_dir

HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def gunicorn_available() -> bool:
    return _venv_tool("gunicorn") is not None


def _venv_tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


class ServerError(RuntimeError):
    pass


class Server:
    """`caseway serve` (or gunicorn) on a free loopback port, stopped on exit."""

    def __init__(
        self,
        database_url: str,
        *,
        kind: str = "werkzeug",
        gunicorn_workers: int = 2,
        gunicorn_threads: int = 8,
        scheduler: bool = True,
    ) -> None:
        self.database_url = database_url
        self.kind = kind
        self.gunicorn_workers = gunicorn_workers
        self.gunicorn_threads = gunicorn_threads
        self.scheduler = scheduler
        self.port = free_port()
        self.log_path = scratch_dir() / f"server-{kind}-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise ServerError("server not started")
        return self._proc.pid

    def describe(self) -> str:
        if self.kind == "gunicorn":
            return (
                f"gunicorn gthread, {self.gunicorn_workers} workers × "
                f"{self.gunicorn_threads} threads (no scheduler)"
            )
        return "caseway serve (werkzeug threaded" + (", scheduler on)" if self.scheduler else ")")

    def command(self) -> list[str]:
        if self.kind == "gunicorn":
            return [
                _venv_tool("gunicorn") or "gunicorn",
                "--bind",
                f"{HOST}:{self.port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(self.gunicorn_workers),
                "--threads",
                str(self.gunicorn_threads),
                "--keep-alive",
                "75",
                "engine.app:create_app()",
            ]
        caseway = _venv_tool("caseway")
        base = [caseway] if caseway else [sys.executable, "-m", "engine.cli.main"]
        args = ["serve", "--host", HOST, "--port", str(self.port)]
        return base + args + ([] if self.scheduler else ["--no-scheduler"])

    def __enter__(self) -> Server:
        env = {**os.environ, "DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self.command(), env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=20)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise ServerError(f"server exited early; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/api/me")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise ServerError(f"server did not answer within {READY_TIMEOUT_S:.0f} s")

    def processes(self) -> list[int]:
        """The server's pid and its children's (gunicorn workers)."""
        pids = [self.pid]
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids

    def memory_kib(self) -> dict[str, int]:
        """Current and peak resident set size, summed over the server's processes."""
        current = peak = 0
        for pid in self.processes():
            status = _proc_status(pid)
            current += status.get("VmRSS", 0)
            peak += status.get("VmHWM", 0)
        return {"rss_kib": current, "peak_rss_kib": peak}

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server's processes."""
        return sum(_cpu_seconds(pid) for pid in self.processes())


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


class HttpProblem(RuntimeError):
    def __init__(self, status: int, method: str, path: str, body: Any) -> None:
        super().__init__(f"{method} {path} answered {status}: {body}")
        self.status = status


class Client:
    """One keep-alive connection; `call` returns the decoded JSON body and the elapsed time."""

    def __init__(self, port: int, tokens: dict[str, str]) -> None:
        self.port = port
        self.tokens = tokens
        self._conn = http.client.HTTPConnection(HOST, port, timeout=120)

    def close(self) -> None:
        self._conn.close()

    def call(self, method: str, path: str, user: str, body: Any = None) -> tuple[Any, float]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        status, raw = self._send(method, path, payload, headers)
        elapsed = time.perf_counter() - started
        decoded = json.loads(raw) if raw else None
        if status >= 400:
            raise HttpProblem(status, method, path, decoded)
        return decoded, elapsed

    def _send(
        self, method: str, path: str, payload: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self._conn.request(method, path, body=payload, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._conn.close()  # the server closed an idle keep-alive connection
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
