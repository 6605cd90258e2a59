"""Operability: health and readiness, Prometheus metrics, structured logs with request ids.

`init_observability` is imported on first use: the timer worker needs only `logs`, not Flask,
the API or Alembic that the readiness checks bring in.
"""

from __future__ import annotations

from typing import Any

__all__ = ["init_observability"]


def __getattr__(name: str) -> Any:
    if name == "init_observability":
        from engine.observability.setup import init_observability

        return init_observability
    raise AttributeError(name)
