"""Real receivers, in-process on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP server."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage as Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.sink.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@dataclass
class SmtpSink:
    port: int
    received: list[Message] = field(default_factory=list)
    controller: Controller | None = None

    @classmethod
    def start(cls) -> SmtpSink:
        sink = cls(free_port())
        sink.controller = Controller(_Collect(sink), hostname="127.0.0.1", port=sink.port)
        sink.controller.start()
        return sink

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.received]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


class HttpReceiver:
    """Answers each POST with the next scripted status (then 200), recording what came."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.requests: list[Request] = []
        self.statuses = list(statuses or [])
        self.delay = delay
        self.on_request: Callable[[Request], None] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                request = Request(self.path, dict(self.headers.items()), self.rfile.read(length))
                receiver.requests.append(request)
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                body = b'{"sid": "SM123"}' if status < 300 else b'{"error": "no"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/caseway"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
