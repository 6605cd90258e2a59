"""Messages and signals an instance threw that nothing inside it caught.

SpiffWorkflow queues such events on the workflow (`bpmn_events`); the casework layer delivers
them to other waiting instances, or to the outbox for an external recipient. Each leaves the
runtime as a plain `ThrownEvent`. Correlation on the *sending* side comes from the message's
correlation properties (standard `correlationKey`/`correlationProperty` with retrieval
expressions, evaluated by SpiffWorkflow against the payload in the sandbox); on the *waiting*
side a retrieval expression is read as a data path (`referral_id`, `referral.id`) in the
case's data, never evaluated, so the consistency check can recompute it without running code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (  # type: ignore
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import (  # type: ignore[import-untyped]
    MessageEventDefinition,
)

RECIPIENT_PROPERTY = "messageRecipient"  # on a throw event or send task: a partner key
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class ThrownEvent:
    kind: str  # "message" | "signal"
    name: str
    payload: Any
    correlation: dict[str, str] = field(default_factory=dict)
    recipient: str | None = None


def thrown_events(workflow: Any, all_specs: Callable[[], list[Any]]) -> list[ThrownEvent]:
    """Take the events the workflow could not deliver itself (SpiffWorkflow clears them)."""
    found: list[ThrownEvent] = []
    events = workflow.get_events()
    specs = all_specs() if events else []
    for event in events:
        definition = event.event_definition
        payload = json.loads(json.dumps(event.payload, default=str))
        if isinstance(definition, MessageEventDefinition):
            found.append(
                ThrownEvent(
                    "message",
                    definition.name,
                    payload,
                    _flatten(event.correlations),
                    _recipient(specs, definition.name),
                )
            )
        elif isinstance(definition, SignalEventDefinition):
            found.append(ThrownEvent("signal", definition.name, payload))
    return found


def _flatten(correlations: Mapping[str, Any]) -> dict[str, str]:
    """{correlation key: {property: value}} → {property: value} (as text)."""
    flat: dict[str, str] = {}
    for values in (correlations or {}).values():
        if isinstance(values, Mapping):
            flat.update({str(k): str(v) for k, v in values.items() if v is not None})
    return flat


def _recipient(specs: list[Any], message: str) -> str | None:
    """The partner a message goes to when no case waits: the `messageRecipient` property of
    the event or send task that throws it."""
    for spec in specs:
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and definition.name == message:
            properties = (getattr(spec, "extensions", None) or {}).get("properties", {})
            if properties.get(RECIPIENT_PROPERTY):
                return str(properties[RECIPIENT_PROPERTY]).strip() or None
    return None


def expected_correlation(definition: Any, data: Mapping[str, Any]) -> dict[str, str] | None:
    """What a waiting catch expects from its correlation properties, read from the case data;
    None when it has none (or a value is missing: then it waits for an uncorrelated message)."""
    properties = getattr(definition, "correlation_properties", None) or []
    if not properties:
        return None
    values = {}
    for prop in properties:
        value = _lookup(str(prop.retrieval_expression or "").strip(), data)
        if value is None:
            return None
        values[str(prop.name)] = str(value)
    return values


def _lookup(path: str, data: Mapping[str, Any]) -> Any:
    if not _PATH.match(path):
        return None
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current if isinstance(current, str | int | float | bool) else None


def with_correlation_fields(
    payload: Any, waits: list[tuple[Any, Any]], case_data: Mapping[str, Any]
) -> Any:
    """A message routed here by its correlation (POST /api/messages names the properties, not
    the payload fields) gets the fields its retrieval expressions read, from the waiting
    case's own values, where the payload lacks them: SpiffWorkflow reads them on catch."""
    if not isinstance(payload, dict):
        return payload
    completed = dict(payload)
    for definition, task in waits:
        data = {**case_data, **(task.data if task is not None else {})}
        for prop in getattr(definition, "correlation_properties", None) or []:
            path = str(prop.retrieval_expression or "").strip()
            if _PATH.match(path) and "." not in path and path not in completed:
                value = _lookup(path, data)
                if value is not None:
                    completed[path] = value
    return completed
