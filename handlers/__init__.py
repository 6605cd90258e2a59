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
)

__all__ = [
    "BusinessError",
    "HandlerContext",
    "HandlerError",
    "HandlerInputError",
    "HandlerRegistry",
    "OutboxMessage",
    "default_registry",
]


def default_registry() -> HandlerRegistry:
    from handlers import notifications

    registry = HandlerRegistry()
    notifications.register(registry)
    return registry
