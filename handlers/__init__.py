"""Service-task handlers shipped with Caseway.

`default_registry()` returns a registry with every shipped handler; tests build their own.
"""

from __future__ import annotations

from handlers.registry import (
    BusinessError,
    HandlerContext,
    HandlerError,
    HandlerInputError,
    HandlerRegistry,
    OutboxMessage,
    ProcessStart,
)

__all__ = [
    "BusinessError",
    "HandlerContext",
    "HandlerError",
    "HandlerInputError",
    "HandlerRegistry",
    "OutboxMessage",
    "ProcessStart",
    "default_registry",
]


def default_registry() -> HandlerRegistry:
    from handlers import cases, documents, notifications, processes, referrals

    registry = HandlerRegistry()
    notifications.register(registry)
    processes.register(registry)
    cases.register(registry)
    documents.register(registry)
    referrals.register(registry)
    return registry
