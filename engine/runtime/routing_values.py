"""A human task's routing as it opens: the deploy stored who it is for (sources in
engine.definitions.routing); values written `${name}` are read here from the task's data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ROUTING_KEY = "caseway_routing"  # engine.definitions.routing.ROUTING_KEY
_VARIABLE = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


def resolved_routing(stored: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The deploy's routing with `${name}` values read from the task's data (a list value
    names several people or groups; a missing one names nobody)."""
    if not isinstance(stored, dict):
        return {}

    def values(raw: Any) -> list[str]:
        out: list[str] = []
        for value in raw if isinstance(raw, list) else [raw]:
            if not isinstance(value, str) or not value.strip():
                continue
            match = _VARIABLE.match(value.strip())
            if match is None:
                out.append(value)
                continue
            found = data.get(match.group(1))
            items = found if isinstance(found, list | tuple) else str(found or "").split(",")
            out.extend(str(item).strip() for item in items if str(item).strip())
        return out

    routing = dict(stored)
    routing["groups"] = values(stored.get("groups") or [])
    routing["users"] = values(stored.get("users") or [])
    assignee = values(stored.get("assignee"))
    routing["assignee"] = assignee[0] if assignee else None
    return routing
