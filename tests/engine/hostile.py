"""Diagrams carrying hostile code, shared by the sandbox tests (runtime and real server)."""

from __future__ import annotations

from html import escape

from engine.definitions.compile import SourceFile, compile_bundle
from engine.definitions.forms import FormSource
from engine.runtime import LoadedSpec
from handlers import HandlerRegistry

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{pid}" targetNamespace="https://caseway.example/test">
  <bpmn:process id="{pid}" name="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
"""
_TAIL = """    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/>
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def script_process(pid: str, script: str) -> bytes:
    """start → script task `step` → end."""
    step = (
        '<bpmn:scriptTask id="step" name="Hostile step"><bpmn:incoming>f1</bpmn:incoming>'
        f"<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script>"
        "</bpmn:scriptTask>\n"
    )
    return (_HEAD.format(pid=pid) + step + _TAIL).encode()


def gateway_process(pid: str, condition: str) -> bytes:
    """start → exclusive gateway `choose` with `condition` (else the default flow) → end."""
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs_{pid}" targetNamespace="https://caseway.example/test">
  <bpmn:process id="{pid}" name="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="choose" default="f3"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="yes"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="no"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choose"/>
    <bpmn:sequenceFlow id="f2" sourceRef="choose" targetRef="yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="choose" targetRef="no"/>
  </bpmn:process>
</bpmn:definitions>
"""
    return text.encode()


def decision_process(pid: str, decision: str) -> bytes:
    """start → business rule task `step` calling `decision` → end."""
    step = (
        '<bpmn:businessRuleTask id="step" name="Decide"><bpmn:extensionElements>'
        f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming>"
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>\n"
    )
    return (_HEAD.format(pid=pid) + step + _TAIL).encode()


def decision_table(decision: str, input_cell: str, output_cell: str) -> bytes:
    """One input column (`amount`), one rule: `input_cell` → `output_cell`, in row 1."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_{decision}"
    name="{decision}" namespace="https://caseway.example/dmn">
  <decision id="{decision}" name="{decision}">
    <decisionTable id="table_{decision}" hitPolicy="FIRST">
      <input id="in_amount" label="Amount">
        <inputExpression id="expr_amount" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <output id="out_tier" name="tier" typeRef="string"/>
      <rule id="rule_1">
        <inputEntry id="in_1"><text>{escape(input_cell)}</text></inputEntry>
        <outputEntry id="out_1"><text>{escape(output_cell)}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
""".encode()


def compiled(*files: tuple[str, bytes]) -> LoadedSpec:
    sources = [SourceFile(name, content) for name, content in files]
    result = compile_bundle(sources, FormSource(None), HandlerRegistry())
    return LoadedSpec.from_json(result[0].spec_json)
