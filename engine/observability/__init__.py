"""Operability: health and readiness, Prometheus metrics, structured logs with request ids."""

from engine.observability.setup import init_observability

__all__ = ["init_observability"]
