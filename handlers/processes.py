"""Start another process from a service task (e.g. one warm referral per need)."""

from __future__ import annotations

from typing import Any

from handlers.registry import HandlerContext, HandlerInputError, HandlerRegistry


def start_process(
    ctx: HandlerContext, *, process_id: str, business_key: str = "", data: dict | None = None
) -> dict[str, Any]:
    """The new instance is created in the same transaction as this step; the business key
    defaults to the calling case's, so the started process belongs to the same case."""
    if not process_id.strip():
        raise HandlerInputError("start_process: process_id is empty")
    key = business_key or ctx.business_key
    ctx.start_process(process_id, key, dict(data or {}))
    return {"process_id": process_id, "business_key": key}


def register(registry: HandlerRegistry) -> None:
    registry.register("start_process", start_process)
