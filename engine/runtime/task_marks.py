"""What an inbox row shows besides the title: the task's priority and a short detail line.

Both come from the task's own data when it becomes ready, so two referral tasks of one case say
which need and which partner, and an emergency is marked before anyone opens it. Rules (see
docs/web.md, "Inbox"):
- BPMN property `priority` on the user task: `urgent`, `high` or `normal`, or the name of a data
  variable holding one of those (or a boolean: true is urgent);
- else the task data: `priority` (`urgent`/`high`) or `urgent: true`;
- BPMN property `titleDetail`: a template such as `{need} · {partner}`; `{a.b}` reads nested
  data; identifiers such as `no_shelter` read as "No shelter"; parts without a value disappear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NORMAL, HIGH, URGENT = 0, 1, 2
_LEVELS = {"normal": NORMAL, "high": HIGH, "urgent": URGENT}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
DETAIL_LENGTH = 300


def priority_of(properties: Mapping[str, str], data: Mapping[str, Any]) -> int:
    declared = (properties.get("priority") or "").strip()
    if declared:
        if declared.lower() in _LEVELS:
            return _LEVELS[declared.lower()]
        return _level(_lookup(data, declared))
    if "priority" in data:
        return _level(data.get("priority"))
    return URGENT if data.get("urgent") is True else NORMAL


def detail_of(properties: Mapping[str, str], data: Mapping[str, Any]) -> str | None:
    template = properties.get("titleDetail")
    if not template:
        return None
    parts = []
    for chunk in re.split(r"\s+[·|–-]\s+", template):
        values = [_shown(_lookup(data, m.group(1))) for m in _PLACEHOLDER.finditer(chunk)]
        if values and not all(values):
            continue
        parts.append(_PLACEHOLDER.sub(lambda m: _shown(_lookup(data, m.group(1))), chunk))
    text = " · ".join(p.strip() for p in parts if p.strip())
    return text[:DETAIL_LENGTH] or None


def _level(value: Any) -> int:
    if value is True:
        return URGENT
    if isinstance(value, str):
        return _LEVELS.get(value.strip().lower(), NORMAL)
    return NORMAL


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _shown(value: Any) -> str:
    if value is None or value is False or value == "":
        return ""
    text = str(value)
    if _IDENTIFIER.match(text) or re.fullmatch(r"[a-z]+", text):
        text = text.replace("_", " ")
        return text[:1].upper() + text[1:]
    return text
