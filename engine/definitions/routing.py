"""Who a human task is for, read from every place a diagram can say it.

Sources, first found wins: standard BPMN `humanPerformer` / `potentialOwner` (their
resource assignment expression, Camunda-style `user(ann), group(intake)` or a bare group),
then Camunda's `assignee` / `candidateUsers` / `candidateGroups`, then the Spiff
`candidateGroups` property, then the lane. A group is a queue by key (`Intake Worker` →
`intake_worker`); named users may take the task besides the queue; a task routed nowhere
goes to the process's default queue. Values written `${name}` are read from the case data
when the task opens (engine.runtime.engine does that, this module stays pure).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.runtime.routing_values import ROUTING_KEY

__all__ = [
    "ROUTING_KEY",
    "Placement",
    "Routing",
    "place",
    "process_default_queue",
    "queue_key",
    "read_routing",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DEFAULT_QUEUE = "triage"
_ENTRY = re.compile(r"\s*(?:(user|group)\s*\(\s*([^)]*?)\s*\)|([^,]+))\s*(?:,|$)")
_EXPRESSION = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


def queue_key(name: str) -> str:
    """Lane "Intake Worker" → queue `intake_worker` (DESIGN contract)."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class Routing:
    source: str  # humanPerformer, potentialOwner, camunda, spiffworkflow, lane or none
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    assignee: str | None = None
    default_queue: str = DEFAULT_QUEUE

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "groups": list(self.groups),
            "users": list(self.users),
            "assignee": self.assignee,
            "default_queue": self.default_queue,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Routing:
        return cls(
            source=str(data.get("source") or "none"),
            groups=tuple(str(g) for g in data.get("groups") or ()),
            users=tuple(str(u) for u in data.get("users") or ()),
            assignee=data.get("assignee") or None,
            default_queue=str(data.get("default_queue") or DEFAULT_QUEUE),
        )


@dataclass(frozen=True)
class Placement:
    """Where a task opens: its queue, and who besides the queue's holders may take it."""

    queue: str
    assignee: str | None = None
    candidate_users: tuple[str, ...] = ()
    ignored_groups: tuple[str, ...] = field(default=())
    defaulted: bool = False


def read_routing(
    node: Any, *, lane: str | None, spiff_groups: str | None, default_queue: str
) -> Routing:
    """The routing of a user task element (an lxml node), by the source order above."""
    performer = _performers(node, "humanPerformer")
    owners = _performers(node, "potentialOwner")
    if performer[0] or performer[1]:
        users = performer[0]
        return Routing(
            "humanPerformer",
            performer[1] + owners[1],
            users[1:] + owners[0],
            users[0] if users else None,
            default_queue,
        )
    if owners[0] or owners[1]:
        return Routing("potentialOwner", owners[1], owners[0], None, default_queue)
    camunda = _camunda(node)
    if camunda is not None:
        groups, users, assignee = camunda
        return Routing("camunda", groups, users, assignee, default_queue)
    if spiff_groups and _split(spiff_groups):
        return Routing("spiffworkflow", _split(spiff_groups), default_queue=default_queue)
    if lane and queue_key(lane):
        return Routing("lane", (lane,), default_queue=default_queue)
    return Routing("none", default_queue=default_queue)


def place(routing: Routing) -> Placement:
    """The queue and named people for a routing whose `${…}` values are already resolved."""
    groups = [g for g in routing.groups if queue_key(g) and not is_expression(g)]
    users = tuple(dict.fromkeys(u for u in routing.users if u and not is_expression(u)))
    assignee = (
        routing.assignee if routing.assignee and not is_expression(routing.assignee) else None
    )
    if not groups:
        return Placement(
            routing.default_queue, assignee, users, (), defaulted=not (users or assignee)
        )
    keys = list(dict.fromkeys(queue_key(g) for g in groups))
    return Placement(keys[0], assignee, users, tuple(keys[1:]))


def is_expression(value: str) -> bool:
    return _EXPRESSION.match(value.strip()) is not None


def process_default_queue(process: Any) -> str | None:
    """A process's own default queue: a `defaultQueue` property (Camunda or Spiff) on the
    process element; None when it has none (the deploy's setting applies)."""
    if process is None:
        return None
    for prop in process.iterfind(f"{{{BPMN_NS}}}extensionElements/*/*"):
        if prop.get("name") == "defaultQueue" and (prop.get("value") or "").strip():
            return queue_key(prop.get("value"))
    return None


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _performers(node: Any, tag: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(users, groups) named by the node's `tag` children (resource assignment expressions or
    references to `bpmn:resource` elements by id)."""
    users: list[str] = []
    groups: list[str] = []
    for performer in node.iterfind(f"{{{BPMN_NS}}}{tag}"):
        expression = performer.findtext(
            f"{{{BPMN_NS}}}resourceAssignmentExpression/{{{BPMN_NS}}}formalExpression"
        )
        if expression and expression.strip():
            found_users, found_groups = _entries(expression)
            users += found_users
            groups += found_groups
            continue
        ref = (performer.findtext(f"{{{BPMN_NS}}}resourceRef") or "").strip()
        if ref:
            resource = _resource(node, ref)
            groups.append(resource or ref.split(":")[-1])
    return tuple(users), tuple(groups)


def _entries(expression: str) -> tuple[list[str], list[str]]:
    users, groups = [], []
    for kind, inner, bare in _ENTRY.findall(expression.strip()):
        if kind == "user":
            users += list(_split(inner))
        elif kind == "group":
            groups += list(_split(inner))
        elif bare.strip():
            groups.append(bare.strip())
    return users, groups


def _resource(node: Any, ref: str) -> str | None:
    root = node.getroottree().getroot()
    for resource in root.iterfind(f"{{{BPMN_NS}}}resource"):
        if resource.get("id") == ref.split(":")[-1]:
            return resource.get("name") or resource.get("id")
    return None


def _camunda(node: Any) -> tuple[tuple[str, ...], tuple[str, ...], str | None] | None:
    assignee = (node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip() or None
    users = _split(node.get(f"{{{CAMUNDA_NS}}}candidateUsers") or "")
    groups = _split(node.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "")
    if not (assignee or users or groups):
        return None
    return groups, users, assignee
