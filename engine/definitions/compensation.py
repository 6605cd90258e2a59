"""Compensation, rewritten at deploy into plain flow SpiffWorkflow can run.

SpiffWorkflow 3.2 has no compensation (a compensation boundary event failed deep in its parser).
BPMN's common use is "undo what was completed": activity A carries a compensation boundary
event associated with a handler H (`isForCompensation`); a compensation throw event (or end
event), optionally naming an `activityRef`, later runs the handlers of the activities that
completed. At deploy, on the parsed tree only (the stored file is left as uploaded):

- after each compensable activity A, a script task records that it completed
  (`caseway_compensable_<A> = True` in the case data);
- each compensation throw becomes a chain in its scope: a script that defaults the markers it
  reads to False, then for each compensable activity in the throw's scope (its subprocesses
  included), in reverse diagram order, a gateway that runs A's handler only if A completed;
- the boundary events and their associations are removed; each handler is moved (or copied,
  when several throws use it) into the chain.

Limits (docs/bpmn-elements-rows.md): handlers run in reverse diagram order (not strictly
reverse completion order), once per throw; a handler is a task or subprocess; compensation of
a multi-instance activity's instances one by one, and compensation inside a transaction
sub-process on cancel, are not supported (deploy refuses what it cannot place).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MARKER = "caseway_compensable_"
_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")


def _tag(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


@dataclass
class _Compensable:
    activity: Any
    handler: Any
    boundary: Any
    marker: str
    uses: int = 0


def _marker(activity_id: str) -> str:
    return MARKER + re.sub(r"\W", "_", activity_id)


def rewrite_compensation(tree: Any) -> list[tuple[str | None, str]]:
    """Rewrite compensation in `tree`; returns (element id, message) for what cannot be."""
    boundaries = [
        b
        for b in tree.iter(_tag("boundaryEvent"))
        if b.find(_tag("compensateEventDefinition")) is not None
    ]
    throws = [
        node
        for node in tree.iter(_tag("intermediateThrowEvent"), _tag("endEvent"))
        if node.find(_tag("compensateEventDefinition")) is not None
    ]
    if not boundaries and not throws:
        return []
    problems: list[tuple[str | None, str]] = []
    by_id = {n.get("id"): n for n in tree.iter() if isinstance(n.tag, str) and n.get("id")}
    associations = list(tree.iter(_tag("association")))
    compensables: list[_Compensable] = []
    for boundary in boundaries:
        activity = by_id.get(boundary.get("attachedToRef"))
        targets = [
            by_id.get(a.get("targetRef"))
            for a in associations
            if a.get("sourceRef") == boundary.get("id")
        ]
        handler = next((t for t in targets if t is not None), None)
        if activity is None or handler is None:
            message = "compensation boundary event has no activity or no associated handler"
            problems.append((boundary.get("id"), message))
            continue
        compensables.append(_Compensable(activity, handler, boundary, _marker(activity.get("id"))))
    if problems:
        return problems
    for item in compensables:
        _mark_completion(item)
    for throw in throws:
        problems.extend(_rewrite_throw(throw, compensables))
    for item in compensables:
        _remove(item.boundary)
        for association in associations:
            if association.get("sourceRef") == item.boundary.get("id"):
                _remove(association)
        if item.handler.getparent() is not None and item.uses == 0:
            _remove(item.handler)  # never thrown: it cannot run
        for shape in tree.iter("{*}BPMNShape", "{*}BPMNEdge"):
            if shape.get("bpmnElement") in (item.boundary.get("id"),):
                _remove(shape)
    return problems


def _remove(node: Any) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)


def _mark_completion(item: _Compensable) -> None:
    """A script task after the activity: `caseway_compensable_<A> = True`."""
    activity = item.activity
    scope = activity.getparent()
    activity_id = activity.get("id")
    marker_id = f"caseway_mark_{activity_id}"
    script = _script_task(scope, marker_id, f"{item.marker} = True")
    for flow in scope.findall(_tag("sequenceFlow")):
        if flow.get("sourceRef") == activity_id:
            flow.set("sourceRef", marker_id)
            _add_ref(script, "outgoing", flow.get("id"))
    for ref in activity.findall(_tag("outgoing")):
        activity.remove(ref)
    _connect(scope, activity, script, f"caseway_to_mark_{activity_id}")


def _rewrite_throw(throw: Any, compensables: list[_Compensable]) -> list[tuple[str | None, str]]:
    scope = throw.getparent()
    definition = throw.find(_tag("compensateEventDefinition"))
    wanted = definition.get("activityRef")
    chosen = [
        item
        for item in compensables
        if _within(item.activity, scope)
        and (
            wanted is None or item.activity.get("id") == wanted or _within_id(item.activity, wanted)
        )
    ]
    if wanted is not None and not chosen:
        return [(throw.get("id"), f"activityRef {wanted!r} names no compensable activity here")]
    throw.remove(definition)
    throw_id = throw.get("id")
    if _local(throw) == "endEvent":
        throw.tag = _tag("intermediateThrowEvent")
        end = etree.SubElement(scope, _tag("endEvent"))
        end.set("id", f"caseway_end_{throw_id}")
        tail: Any = end
        outgoing_flows: list[Any] = []
    else:
        tail = None
        outgoing_flows = [
            f for f in scope.findall(_tag("sequenceFlow")) if f.get("sourceRef") == throw_id
        ]
        for ref in throw.findall(_tag("outgoing")):
            throw.remove(ref)
    names = [item.marker for item in chosen]
    defaults = "\n".join(f"try:\n    {n}\nexcept NameError:\n    {n} = False" for n in names)
    current = _script_task(scope, f"caseway_defaults_{throw_id}", defaults or "pass")
    _connect(scope, throw, current, f"caseway_to_defaults_{throw_id}")
    ordered = sorted(chosen, key=lambda i: _position(i.activity), reverse=True)
    for item in ordered:
        key = f"{throw_id}_{item.activity.get('id')}"
        split = _gateway(scope, f"caseway_if_{key}")
        merge = _gateway(scope, f"caseway_then_{key}")
        handler = _place_handler(item, scope, key)
        _connect(scope, current, split, f"caseway_to_if_{key}")
        run = _connect(scope, split, handler, f"caseway_run_{key}")
        condition = etree.SubElement(run, _tag("conditionExpression"))
        condition.text = f"{item.marker} == True"
        skip = _connect(scope, split, merge, f"caseway_skip_{key}")
        split.set("default", skip.get("id"))
        _connect(scope, handler, merge, f"caseway_ran_{key}")
        current = merge
    if tail is not None:
        _connect(scope, current, tail, f"caseway_to_end_{throw_id}")
    for flow in outgoing_flows:
        flow.set("sourceRef", current.get("id"))
        _add_ref(current, "outgoing", flow.get("id"))
    return []


def _place_handler(item: _Compensable, scope: Any, key: str) -> Any:
    """The handler itself the first time it is thrown to, a copy (new ids) after that."""
    handler = item.handler
    item.uses += 1
    if item.uses > 1:
        handler = copy.deepcopy(item.handler)
        for node in handler.iter():
            if isinstance(node.tag, str) and node.get("id"):
                node.set("id", f"{node.get('id')}_{key}")
    else:
        _remove(handler)
    handler.attrib.pop("isForCompensation", None)
    for ref in handler.findall(_tag("incoming")) + handler.findall(_tag("outgoing")):
        handler.remove(ref)
    scope.append(handler)
    return handler


def _within(node: Any, scope: Any) -> bool:
    parent = node.getparent()
    while parent is not None:
        if parent is scope:
            return True
        parent = parent.getparent()
    return False


def _within_id(node: Any, ancestor_id: str) -> bool:
    parent = node.getparent()
    while parent is not None:
        if parent.get("id") == ancestor_id:
            return True
        parent = parent.getparent()
    return False


def _position(node: Any) -> int:
    return int(node.sourceline or 0)


def _script_task(scope: Any, node_id: str, script: str) -> Any:
    node = etree.SubElement(scope, _tag("scriptTask"))
    node.set("id", node_id)
    node.set("scriptFormat", "python")
    body = etree.SubElement(node, _tag("script"))
    body.text = script
    return node


def _gateway(scope: Any, node_id: str) -> Any:
    node = etree.SubElement(scope, _tag("exclusiveGateway"))
    node.set("id", node_id)
    return node


def _connect(scope: Any, source: Any, target: Any, flow_id: str) -> Any:
    flow = etree.SubElement(scope, _tag("sequenceFlow"))
    flow.set("id", flow_id)
    flow.set("sourceRef", source.get("id"))
    flow.set("targetRef", target.get("id"))
    _add_ref(source, "outgoing", flow_id)
    _add_ref(target, "incoming", flow_id)
    return flow


_HEAD = ("documentation", "extensionElements", "incoming", "outgoing")


def _add_ref(node: Any, kind: str, flow_id: str) -> None:
    ref = etree.Element(_tag(kind))
    ref.text = flow_id
    before = _HEAD[: _HEAD.index(kind) + 1]
    position = 0
    for index, child in enumerate(node):
        if _local(child) in before:
            position = index + 1
    node.insert(position, ref)
