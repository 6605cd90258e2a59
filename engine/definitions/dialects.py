"""Read the Camunda 7 (and Zeebe) dialect by rewriting it into the Spiff dialect before parsing.

Designers bring diagrams from Camunda Modeler. Rather than a second parser, each Camunda
attribute Caseway can honour becomes the SpiffWorkflow extension that means the same thing
(decisionRef → calledDecisionId, formKey → a formKey property, inputOutput → pre/post
scripts), on the parsed tree only: the stored file stays as uploaded. What Caseway cannot run
(Java classes, delegate expressions, connectors) is a problem naming the element; what it
accepts but ignores (asyncBefore, decorative data stores) is accepted, some with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.definitions import structure
from engine.definitions.problems import Problem
from engine.runtime.timing import is_iso_literal

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"

# The hook for external tasks (camunda:type="external" + camunda:topic, zeebe:taskDefinition):
# they become a service task with this operator and a `topic` parameter, so parsing accepts
# them. Running them (fetch-and-lock workers) is engine/external-tasks' business; it may
# replace EXTERNAL_TASK_HOOK to mark them differently.
EXTERNAL_TASK_OPERATOR = "external_task"

_JUEL = re.compile(r"^\s*\$\{(.*)\}\s*$", re.DOTALL)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ACTIVITIES = (
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity", "subProcess",
)  # fmt: skip
_JAVA = {
    "class": "is a Java class",
    "delegateExpression": "is a Java delegate expression",
    "expression": "is a Java (JUEL) method expression",
}
CANNOT_RUN = (
    "which Caseway cannot run: use a service task with a spiffworkflow:serviceTaskOperator "
    'handler, or an external task (camunda:type="external" with a camunda:topic)'
)


@dataclass
class Normalized:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _b(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def normalize(file: str, tree: Any) -> Normalized:
    """Rewrite the Camunda/Zeebe dialect in `tree` (in place) into what the Spiff parser reads."""
    out = Normalized()
    for check in (
        _refuse_java,
        _external_tasks,
        _decisions,
        _form_keys,
        _input_output,
        _juel_expressions,
        _data_stores,
    ):
        check(file, tree, out)
    return out


def juel_to_python(text: str) -> str | None:
    """`${expr}` as Python (`&&`, `||`, `!` spelt out); None when `text` is not `${…}`."""
    match = _JUEL.match(text)
    if match is None:
        return None
    inner = match.group(1).strip()
    inner = inner.replace("&&", " and ").replace("||", " or ")
    inner = re.sub(r"!(?!=)", " not ", inner)
    return " ".join(inner.split())


# -- refused --------------------------------------------------------------------------------


def _refuse_java(file: str, tree: Any, out: Normalized) -> None:
    for node in tree.iter(etree.Element):
        for attr, what in _JAVA.items():
            value = node.get(_c(attr))
            if value is None:
                continue
            owner = node
            if etree.QName(node).namespace == CAMUNDA_NS:  # a listener: name its element
                owner = _bpmn_owner(node)
            message = f"camunda:{attr} {value!r} {what}, {CANNOT_RUN}"
            out.problems.append(Problem(file, _id(owner), message))
    for tag in ("executionListener", "taskListener"):
        for node in tree.iter(_c(tag)):
            owner = _bpmn_owner(node)
            for attr, what in _JAVA.items():
                if node.get(attr) is not None:
                    message = f"camunda:{tag} {attr} {node.get(attr)!r} {what}, {CANNOT_RUN}"
                    out.problems.append(Problem(file, _id(owner), message))
            if node.find(_c("script")) is not None:
                message = f"camunda:{tag} scripts are not run by Caseway (ignored)"
                out.warnings.append(Problem(file, _id(owner), message))
    for node in tree.iter(_c("connector")):
        message = f"camunda:connector is a Java plugin, {CANNOT_RUN}"
        out.problems.append(Problem(file, _id(_bpmn_owner(node)), message))


# -- external tasks (hook) ------------------------------------------------------------------


def mark_external_task(file: str, node: Any, topic: str, out: Normalized) -> None:
    """Default hook: a Spiff service task operator naming the topic (see module docstring)."""
    operator = _spiff_child(node, "serviceTaskOperator")
    if operator.get("id"):
        return
    operator.set("id", EXTERNAL_TASK_OPERATOR)
    params = etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")
    param = etree.SubElement(params, f"{{{SPIFF_NS}}}parameter")
    param.set("id", "topic")
    param.set("type", "str")
    param.set("value", repr(topic))


EXTERNAL_TASK_HOOK: Callable[[str, Any, str, Normalized], None] = mark_external_task


def _external_tasks(file: str, tree: Any, out: Normalized) -> None:
    for tag in ("serviceTask", "sendTask", "businessRuleTask"):
        for node in tree.iter(_b(tag)):
            topic = None
            if node.get(_c("type")) == "external":
                topic = node.get(_c("topic")) or ""
            definition = node.find(f"./{_b('extensionElements')}/{{{ZEEBE_NS}}}taskDefinition")
            if definition is not None:
                topic = definition.get("type") or ""
            if topic is None:
                continue
            if not topic.strip():
                out.problems.append(Problem(file, _id(node), "external task names no topic"))
                continue
            EXTERNAL_TASK_HOOK(file, node, topic.strip(), out)


# -- business rule tasks --------------------------------------------------------------------


def _decisions(file: str, tree: Any, out: Normalized) -> None:
    for node in tree.iter(_b("businessRuleTask")):
        ref = node.get(_c("decisionRef"))
        if ref is None:
            continue
        existing = node.find(f"./{_b('extensionElements')}/{{{SPIFF_NS}}}calledDecisionId")
        if existing is None:
            called = etree.SubElement(_extensions(node), f"{{{SPIFF_NS}}}calledDecisionId")
            called.text = ref
        binding = node.get(_c("decisionRefBinding")) or "latest"
        if binding != "latest":
            message = (
                f'camunda:decisionRefBinding="{binding}" is read as "latest": Caseway uses the '
                "decision deployed with this version of the process"
            )
            out.warnings.append(Problem(file, _id(node), message))
        if node.get(_c("resultVariable")):
            message = (
                "camunda:resultVariable is not used: the decision's outputs go into the case "
                "data under their own names"
            )
            out.warnings.append(Problem(file, _id(node), message))


# -- forms ----------------------------------------------------------------------------------


def form_key_of(camunda_key: str) -> str:
    """`camunda-forms:deployment:intake.form`, `embedded:app:forms/intake.html`, `intake`: all
    name the Caseway form `intake`."""
    key = camunda_key.strip().rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    for suffix in (".form", ".html", ".json", ".schema"):
        key = key.removesuffix(suffix)
    return key


def _form_keys(file: str, tree: Any, out: Normalized) -> None:
    for tag in ("userTask", "startEvent"):
        for node in tree.iter(_b(tag)):
            raw = node.get(_c("formKey")) or node.get(_c("formRef"))
            if raw and not _has_spiff_property(node, "formKey"):
                _set_spiff_property(node, "formKey", form_key_of(raw))
            if node.find(f"./{_b('extensionElements')}/{_c('formData')}") is not None:
                message = (
                    "camunda:formData (generated task forms) is not shown: give the task a "
                    "Caseway form (camunda:formKey or a formKey property)"
                )
                out.warnings.append(Problem(file, _id(node), message))


# -- input/output mappings ------------------------------------------------------------------


def _input_output(file: str, tree: Any, out: Normalized) -> None:
    for mapping in list(tree.iter(_c("inputOutput"))):
        owner = _bpmn_owner(mapping)
        pre: list[str] = []
        post: list[str] = []
        for param in mapping:
            kind = etree.QName(param).localname
            name = param.get("name") or ""
            if kind not in ("inputParameter", "outputParameter"):
                continue
            value = _mapping_value(param)
            if not _NAME.match(name) or value is None:
                message = (
                    f"camunda:{kind} {name!r}: only text values and ${{variable}} expressions "
                    "are supported (not scripts, lists or maps)"
                )
                out.problems.append(Problem(file, _id(owner), message))
                continue
            (pre if kind == "inputParameter" else post).append(f"{name} = {value}")
        _append_script(owner, "preScript", pre)
        _append_script(owner, "postScript", post)


def _mapping_value(param: Any) -> str | None:
    if len(param):
        return None
    text = param.text or ""
    python = juel_to_python(text)
    if python is not None:
        return python
    return repr(text)


def _append_script(node: Any, name: str, lines: list[str]) -> None:
    if not lines:
        return
    script = node.find(f"./{_b('extensionElements')}/{{{SPIFF_NS}}}{name}")
    if script is None:
        script = etree.SubElement(_extensions(node), f"{{{SPIFF_NS}}}{name}")
    existing = (script.text or "").strip()
    body = "\n".join(lines)
    script.text = f"{body}\n{existing}" if name == "preScript" and existing else body
    if name == "postScript" and existing:
        script.text = f"{existing}\n{body}"


# -- JUEL expressions -----------------------------------------------------------------------


def _juel_expressions(file: str, tree: Any, out: Normalized) -> None:
    """`${…}` in conditions and timers is Camunda's; the sandbox evaluates Python. In a Camunda
    file any other timer text is a literal, so it must be a date, duration or cycle."""
    camunda = CAMUNDA_NS in (tree.nsmap or {}).values()
    tags = ("conditionExpression", "timeDuration", "timeDate", "timeCycle", "loopCardinality")
    for tag in tags:
        for node in tree.iter(_b(tag)):
            text = (node.text or "").strip()
            python = juel_to_python(text)
            if python is not None:
                node.text = python
            elif camunda and tag.startswith("time") and not _timer_literal(text):
                event = _event_of(node)
                out.problems.append(Problem(file, _id(event), structure.not_a_timer(text)))


def _timer_literal(text: str) -> bool:
    unquoted = text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text
    return is_iso_literal(unquoted) or structure.is_cron(unquoted)


def _event_of(node: Any) -> Any:
    current = node.getparent()
    while current is not None and not current.get("id"):
        current = current.getparent()
    if current is not None and etree.QName(current).localname == "timerEventDefinition":
        current = current.getparent()
    return current


# -- data stores ----------------------------------------------------------------------------


def _data_stores(file: str, tree: Any, out: Normalized) -> None:
    """Data stores only document where data lives in most diagrams: drop them and the
    associations that point at them, with a warning naming each."""
    stores = {n.get("id"): n for n in tree.iter(_b("dataStore"))}
    refs = {n.get("id"): n for n in tree.iter(_b("dataStoreReference"))}
    if not stores and not refs:
        return
    gone = {i for i in (*stores, *refs) if i}
    for tag in ("dataInputAssociation", "dataOutputAssociation"):
        for assoc in list(tree.iter(_b(tag))):
            ends = {
                (e.text or "").strip() for e in assoc if etree.QName(e).localname.endswith("Ref")
            }
            if ends & gone:
                assoc.getparent().remove(assoc)
    for ref_id, node in refs.items():
        label = node.get("name") or node.get("dataStoreRef") or ref_id
        message = f"data store {label!r} is ignored: Caseway keeps case data in the case itself"
        out.warnings.append(Problem(file, ref_id, message))
        node.getparent().remove(node)
    for node in stores.values():
        node.getparent().remove(node)


# -- tree helpers ---------------------------------------------------------------------------


def _id(node: Any) -> str | None:
    return node.get("id") if node is not None else None


def _bpmn_owner(node: Any) -> Any:
    current = node.getparent()
    while current is not None and etree.QName(current).namespace != BPMN_NS:
        current = current.getparent()
    if current is not None and etree.QName(current).localname == "extensionElements":
        current = current.getparent()
    return current


def _extensions(node: Any) -> Any:
    found = node.find(_b("extensionElements"))
    if found is None:
        found = etree.Element(_b("extensionElements"))
        node.insert(_extension_position(node), found)
    return found


def _extension_position(node: Any) -> int:
    """extensionElements follows documentation and precedes everything else (XSD order)."""
    position = 0
    for index, child in enumerate(node):
        if isinstance(child.tag, str) and etree.QName(child).localname == "documentation":
            position = index + 1
    return position


def _spiff_child(node: Any, name: str) -> Any:
    ext = _extensions(node)
    child = ext.find(f"{{{SPIFF_NS}}}{name}")
    if child is None:
        child = etree.SubElement(ext, f"{{{SPIFF_NS}}}{name}")
    return child


def _has_spiff_property(node: Any, name: str) -> bool:
    path = f"./{_b('extensionElements')}/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    return any(p.get("name") == name for p in node.iterfind(path))


def _set_spiff_property(node: Any, name: str, value: str) -> None:
    prop = etree.SubElement(_spiff_child(node, "properties"), f"{{{SPIFF_NS}}}property")
    prop.set("name", name)
    prop.set("value", value)
