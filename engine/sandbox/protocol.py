"""The wire between the server and a sandbox process: length-prefixed JSON frames on pipes.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. The reading side can
give a deadline: the server never waits on a sandbox process longer than the script may run.
"""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from engine.sandbox.codec import dumps, loads

HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 30


class ChannelClosed(Exception):  # noqa: N818 - an end-of-stream condition, not a bug
    """The other side closed its end (it exited or was killed)."""


class ChannelTimeout(Exception):  # noqa: N818
    """No complete frame arrived before the deadline."""


def write_frame(fd: int, message: Any) -> None:
    payload = dumps(message)
    view = memoryview(HEADER.pack(len(payload)) + payload)
    while view:
        try:
            written = os.write(fd, view)
        except (BrokenPipeError, OSError) as exc:
            raise ChannelClosed(str(exc)) from None
        view = view[written:]


def read_frame(fd: int, deadline: float | None = None) -> Any:
    """The next message; blocks until it is complete or `deadline` (time.monotonic) passes."""
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if size > MAX_FRAME:
        raise ChannelClosed(f"frame of {size} bytes is larger than allowed")
    return loads(_read_exact(fd, size, deadline))


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    poller = select.poll() if deadline is not None else None
    if poller is not None:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while remaining:
        if poller is not None and deadline is not None:
            wait_ms = max(0, int((deadline - time.monotonic()) * 1000) + 1)
            if not poller.poll(wait_ms):
                if time.monotonic() >= deadline:
                    raise ChannelTimeout(f"no answer within the deadline ({size} bytes wanted)")
                continue
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
