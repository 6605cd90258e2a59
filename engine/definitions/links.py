"""Link events, joined into sequence flows before the diagram is parsed.

A link throw event and the link catch event of the same name in the same process (or
subprocess) are a drawn-apart sequence flow: BPMN defines them as nothing more. SpiffWorkflow
parses neither (both become "none" events, so the catch is never reached and the instance
waits forever); so at deploy a sequence flow from each throw to its catch is added to the
parsed tree, and the link definitions are removed. The stored file is left as uploaded.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
_HEAD = ("documentation", "extensionElements", "incoming", "outgoing")


def _tag(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _link_of(node: Any) -> Any | None:
    return node.find(_tag("linkEventDefinition"))


def _link_name(node: Any, link: Any) -> str:
    return (link.get("name") or node.get("name") or "").strip()


def _insert_flow_ref(node: Any, kind: str, flow_id: str) -> None:
    """Add <incoming>/<outgoing> where the schema wants it: after the node's head elements."""
    ref = etree.Element(_tag(kind))
    ref.text = flow_id
    before = _HEAD[: _HEAD.index(kind) + 1]  # an incoming goes before any outgoing
    position = 0
    for index, child in enumerate(node):
        if isinstance(child.tag, str) and etree.QName(child).localname in before:
            position = index + 1
    node.insert(position, ref)


def join_links(tree: Any) -> list[tuple[str | None, str]]:
    """Rewrite link throw/catch pairs as sequence flows in `tree`; returns (element id,
    message) for each link that cannot be joined."""
    problems: list[tuple[str | None, str]] = []
    for scope in tree.iter(*(_tag(s) for s in _SCOPES)):
        catches: dict[str, Any] = {}
        for node in scope.findall(_tag("intermediateCatchEvent")):
            link = _link_of(node)
            if link is None:
                continue
            name = _link_name(node, link)
            if name in catches:
                problems.append((node.get("id"), f"two link catch events are named {name!r}"))
            catches[name] = node
        throws = [
            n for n in scope.findall(_tag("intermediateThrowEvent")) if _link_of(n) is not None
        ]
        for node in throws:
            link = _link_of(node)
            name = _link_name(node, link)
            target = catches.get(name)
            if target is None:
                message = f"link event {name!r} has no link catch event of that name here"
                problems.append((node.get("id"), message))
                continue
            flow_id = f"caseway_link_{node.get('id')}"
            _insert_flow_ref(node, "outgoing", flow_id)
            _insert_flow_ref(target, "incoming", flow_id)
            flow = etree.SubElement(scope, _tag("sequenceFlow"))
            flow.set("id", flow_id)
            flow.set("sourceRef", node.get("id") or "")
            flow.set("targetRef", target.get("id") or "")
            node.remove(link)
        for node in catches.values():
            link = _link_of(node)
            if link is not None:
                node.remove(link)
    return problems
