"""DMN decisions as Camunda 7 evaluates them: every hit policy, and DRDs with required decisions.

SpiffWorkflow's DMN support knows UNIQUE (first match wins) and COLLECT (no aggregation), and
refuses a file with more than one decision. Here:

- every `dmn:decision` of a file is registered under its id, so a business rule task may call
  any of them;
- a decision's required decisions (`informationRequirement/requiredDecision`) are evaluated
  first, and their outputs are inputs of the decision that requires them (by output name; a
  required decision with several results gives each output name the list of its values);
- hit policies: UNIQUE (several matches is an error), FIRST, ANY (matches must agree),
  PRIORITY (by the order of the output's allowed values), RULE ORDER and OUTPUT ORDER (each
  output name gets the list of values, in rule or priority order), COLLECT (lists) and
  COLLECT with SUM / MIN / MAX / COUNT (one number per output).

The result is merged into the task's data, as SpiffWorkflow does: output name → value (or list).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser.ValidationException import (  # type: ignore[import-untyped]
    ValidationException,
)
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine  # type: ignore[import-untyped]
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser  # type: ignore[import-untyped]
from SpiffWorkflow.exceptions import SpiffWorkflowException  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.serializer.task_spec import (  # type: ignore[import-untyped]
    BusinessRuleTaskConverter,
)

AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "PRIORITY", "RULE ORDER", "OUTPUT ORDER", "COLLECT")
_LIST_POLICIES = ("RULE ORDER", "OUTPUT ORDER", "COLLECT")


class DecisionError(SpiffWorkflowException):
    """The table's hit policy was broken by the data (e.g. two UNIQUE rules matched)."""


class DecisionParser(DMNParser):
    """One decision of a DMN file (SpiffWorkflow's parser takes the file's only decision)."""

    def __init__(self, p: Any, node: Any, nsmap: Any, element: Any, filename: str | None) -> None:
        super().__init__(p, node, nsmap, filename=filename)
        self.element = element

    @property
    def bpmn_id(self) -> str:
        return str(self.element.get("id"))

    def get_name(self) -> str:
        return str(self.element.get("name") or self.bpmn_id)

    def parse(self) -> None:
        if getattr(self, "decision", None) is not None:
            return
        decision: Any = self._parse_decision([self.element])
        self.decision = decision
        tables = self.element.findall("dmn:decisionTable", namespaces=self.nsmap)
        if not tables:
            raise ValidationException(
                f"decision {self.bpmn_id!r} has no decision table (only tables are supported)",
                node=self.element,
                file_name=self.filename,
            )
        table = decision.decisionTables[0]
        hit_policy = " ".join(table.hit_policy.split())
        if hit_policy not in HIT_POLICIES:
            raise ValidationException(
                f"decision {self.bpmn_id!r}: unknown hit policy {table.hit_policy!r}",
                node=self.element,
                file_name=self.filename,
            )
        aggregation = (tables[0].get("aggregation") or "").strip().upper() or None
        if aggregation is not None and (aggregation not in AGGREGATIONS or hit_policy != "COLLECT"):
            raise ValidationException(
                f"decision {self.bpmn_id!r}: aggregation {aggregation} needs hit policy COLLECT "
                f"and one of {', '.join(AGGREGATIONS)}",
                node=self.element,
                file_name=self.filename,
            )
        table.hit_policy = hit_policy
        self.aggregation = aggregation
        self.priorities = self._priorities(tables[0])
        self.required = [
            (node.get("href") or "").lstrip("#")
            for node in self.element.findall(
                "dmn:informationRequirement/dmn:requiredDecision", namespaces=self.nsmap
            )
        ]

    def _priorities(self, table_element: Any) -> dict[str, list[Any]]:
        """Each output's allowed values, in order: PRIORITY and OUTPUT ORDER sort by them."""
        found: dict[str, list[Any]] = {}
        for output in table_element.findall("dmn:output", namespaces=self.nsmap):
            text = output.findtext("dmn:outputValues/dmn:text", namespaces=self.nsmap)
            if text and text.strip():
                found[output.get("id")] = [_literal(v) for v in _split_values(text)]
        return found


def _split_values(text: str) -> list[str]:
    """`"high","medium","low"` → three values (commas inside quotes kept)."""
    values, current, quote = [], "", None
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
            current += char
        elif char == ",":
            values.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        values.append(current.strip())
    return values


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class DecisionEngine(DMNEngine):
    """A decision table with its hit policy, aggregation and required decisions."""

    def __init__(
        self,
        decision_table: Any,
        *,
        decision_id: str | None = None,
        aggregation: str | None = None,
        priorities: dict[str, list[Any]] | None = None,
        required: Iterable[DecisionEngine] = (),
    ) -> None:
        super().__init__(decision_table)
        self.decision_id = decision_id or decision_table.id
        self.aggregation = aggregation
        self.priorities = dict(priorities or {})
        self.required = list(required)

    # -- evaluation ------------------------------------------------------------------------

    def result(self, task: Any) -> dict[str, Any]:
        if not self.required:
            return self._own(task)
        saved = task.data
        task.data = dict(saved)
        try:
            for engine in self.required:
                task.data.update(engine.result(task))
            return self._own(task)
        finally:
            task.data = saved

    def decide(self, task: Any) -> list[Any]:
        check = self._DMNEngine__check_rule
        return [rule for rule in self.decision_table.rules if check(rule, task)]

    def _own(self, task: Any) -> dict[str, Any]:
        policy = self.decision_table.hit_policy
        matched = self.decide(task)
        outputs = [rule.output_as_dict(task) for rule in matched]
        names = [o.name for o in self.decision_table.outputs if o.name]
        if policy in ("UNIQUE", "ANY") and len(outputs) > 1:
            rows = ", ".join(str(rule.row_number) for rule in matched)
            if policy == "UNIQUE" or any(o != outputs[0] for o in outputs):
                raise DecisionError(
                    f"decision {self.decision_id!r} ({policy}): rules {rows} all matched"
                    + (" with different outputs" if policy == "ANY" else "")
                )
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            outputs = sorted(outputs, key=self._rank)
        if policy in _LIST_POLICIES:
            if self.aggregation is not None:
                return {name: _aggregate(self.aggregation, outputs, name) for name in names}
            return {name: [o.get(name) for o in outputs] for name in names}
        return outputs[0] if outputs else {}

    def _rank(self, output: dict[str, Any]) -> tuple[int, ...]:
        ranks = []
        for column in self.decision_table.outputs:
            allowed = self.priorities.get(column.id)
            if allowed:
                value = output.get(column.name)
                ranks.append(allowed.index(value) if value in allowed else len(allowed))
        return tuple(ranks)

    # -- storage ---------------------------------------------------------------------------

    def describe(self, converter: Any) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "aggregation": self.aggregation,
            "priorities": self.priorities,
            "required": [
                {
                    **e.describe(converter),
                    "table": converter.decision_table_to_dict(e.decision_table),
                }
                for e in self.required
            ],
        }

    @classmethod
    def restore(cls, table: Any, described: dict[str, Any], converter: Any) -> DecisionEngine:
        return cls(
            table,
            decision_id=described.get("decision_id"),
            aggregation=described.get("aggregation"),
            priorities=described.get("priorities"),
            required=[
                cls.restore(converter.decision_table_from_dict(r["table"]), r, converter)
                for r in described.get("required", [])
            ],
        )


def _aggregate(how: str, outputs: list[dict[str, Any]], name: str) -> Any:
    values: list[Any] = [o.get(name) for o in outputs if o.get(name) is not None]
    if how == "COUNT":
        return len(values)
    if not values:
        return None
    if how == "SUM":
        return sum(values)
    return min(values) if how == "MIN" else max(values)


# -- wiring into the parser and the serializer --------------------------------------------------


def add_dmn_xml(parser: Any, node: Any, filename: str | None) -> None:
    """Register every decision of a DMN file under its id (DRDs hold several)."""
    namespaces = parser.namespaces.copy()
    namespaces.update(node.nsmap)
    if None in namespaces:
        namespaces["dmn"] = namespaces.pop(None)
    schema = parser.dmn_schemas.get(namespaces.get("dmn"))
    if parser.validator and schema is not None:
        BpmnValidator(schema).validate(node, filename)
    decisions = node.findall("dmn:decision", namespaces=namespaces)
    if not decisions:
        raise ValidationException("No decisions found", file_name=filename, node=node)
    for element in decisions:
        decision = DecisionParser(parser, node, namespaces, element, filename)
        parser.dmn_parsers[decision.bpmn_id] = decision
        parser.dmn_parsers_by_name[decision.get_name()] = decision


def engine_for(parser: Any, decision_ref: str, node: Any, seen: tuple[str, ...] = ()) -> Any:
    """The engine of a decision and (recursively) of the decisions it requires."""
    if decision_ref not in parser.dmn_parsers:
        known = ", ".join(sorted(parser.dmn_parsers)) or "none"
        raise ValidationException(
            f"no decision {decision_ref!r} was deployed (known: {known})", node=node, file_name=""
        )
    if decision_ref in seen:
        cycle = " → ".join((*seen, decision_ref))
        raise ValidationException(f"required decisions form a cycle: {cycle}", node=node)
    decision_parser = parser.dmn_parsers[decision_ref]
    decision_parser.parse()
    table = decision_parser.decision.decisionTables[0]
    return DecisionEngine(
        table,
        decision_id=decision_ref,
        aggregation=getattr(decision_parser, "aggregation", None),
        priorities=getattr(decision_parser, "priorities", None),
        required=[
            engine_for(parser, ref, node, (*seen, decision_ref))
            for ref in getattr(decision_parser, "required", [])
        ],
    )


class DecisionTaskConverter(BusinessRuleTaskConverter):
    """Stores the hit policy details and required decisions with the business rule task."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        engine = spec.dmnEngine
        if isinstance(engine, DecisionEngine):
            dct["caseway_decision"] = engine.describe(self)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        described = dct.pop("caseway_decision", None) or {}
        spec = super().from_dict(dct)
        spec.dmnEngine = DecisionEngine.restore(spec.dmnEngine.decision_table, described, self)
        return spec
