"""Validation has bounds: a diagram too large, or with a path too long for the parser, is a
clear problem; and validating takes work in proportion to the diagram's size (issue #18).

The proportion is checked by counting the Python calls validation makes (a profile hook),
never by timing: a quadratic step would multiply the count by ~100 for ten times the
elements, a linear one by ~10.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from engine.definitions.compile import (
    MAX_FLOW_ELEMENTS,
    TOO_DEEP,
    DefinitionInvalid,
    SourceFile,
    compile_bundle,
)
from engine.definitions.forms import FormSource
from handlers import default_registry
from tests.api.helpers import upload_bytes

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"'
    ' targetNamespace="https://caseway.example/test"><bpmn:process id="big" isExecutable="true">'
    '<bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="Caseworker"/></bpmn:laneSet>'
)
TAIL = "</bpmn:process></bpmn:definitions>"


def fan_out(elements: int) -> bytes:
    """A parallel split into many short branches: about `elements` flow elements."""
    parts = [
        HEAD,
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="s" sourceRef="start" targetRef="fork"/>'
        '<bpmn:sequenceFlow id="e" sourceRef="join" targetRef="end"/>',
    ]
    for n in range((elements - 6) // 3):
        parts.append(
            f'<bpmn:scriptTask id="t{n}"><bpmn:script>step = {n}</bpmn:script></bpmn:scriptTask>'
            f'<bpmn:sequenceFlow id="a{n}" sourceRef="fork" targetRef="t{n}"/>'
            f'<bpmn:sequenceFlow id="b{n}" sourceRef="t{n}" targetRef="join"/>'
        )
    return "".join([*parts, TAIL]).encode()


def chain(tasks: int) -> bytes:
    """One user task after another, `tasks` long."""
    nodes = ["start", *(f"t{n}" for n in range(tasks)), "end"]
    parts = [HEAD, '<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>']
    parts += [f'<bpmn:userTask id="t{n}"/>' for n in range(tasks)]
    parts += [
        f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}"/>'
        for n, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False))
    ]
    return "".join([*parts, TAIL]).encode()


def validate(content: bytes) -> None:
    compile_bundle([SourceFile("big.bpmn", content)], FormSource(None), default_registry())


def problems(content: bytes) -> list[str]:
    with pytest.raises(DefinitionInvalid) as refused:
        validate(content)
    return [p.message for p in refused.value.problems]


def calls_made(run: Callable[[], Any]) -> int:
    """How many Python and C function calls `run` makes."""
    count = 0

    def profile(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return count


def test_a_diagram_with_too_many_flow_elements_is_one_clear_problem():
    assert problems(fan_out(2 * MAX_FLOW_ELEMENTS)) == [
        f"the diagram has {2 * MAX_FLOW_ELEMENTS - 1} flow elements; at most {MAX_FLOW_ELEMENTS} "
        "are accepted per file (split it into processes joined by call activities)"
    ]


def test_the_largest_accepted_diagram_validates():
    validate(fan_out(MAX_FLOW_ELEMENTS))


def test_a_path_too_long_for_the_parser_is_named_as_such_not_as_a_recursion_error():
    assert problems(chain(1_500)) == [TOO_DEEP]


def compact_fan_out(elements: int) -> bytes:
    """fan_out with plain tasks and short tags, small enough (under 500 kB) that the upload
    stays in memory."""
    parts = [
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" '
        'targetNamespace="t"><process id="big" isExecutable="true"><startEvent id="s"/>'
        '<parallelGateway id="f"/><sequenceFlow id="sf" sourceRef="s" targetRef="f"/>'
    ]
    for n in range((elements - 3) // 2):
        parts.append(f'<task id="t{n}"/><sequenceFlow id="a{n}" sourceRef="f" targetRef="t{n}"/>')
    return "".join([*parts, "</process></definitions>"]).encode()


def test_deploying_a_diagram_over_the_bound_answers_422_naming_it(api):
    content = compact_fan_out(10_000)
    assert len(content) < 500_000

    response = upload_bytes(api.as_("dana"), "big.bpmn", content)

    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["file"] == "big.bpmn" and "at most 5000" in error["message"]


@pytest.mark.slow
def test_validation_work_grows_linearly_with_the_number_of_elements():
    validate(fan_out(60))  # first use: imports, caches and the like are not the diagram's cost
    small = calls_made(lambda: validate(fan_out(500)))
    large = calls_made(lambda: validate(fan_out(5_000)))

    per_element_ratio = (large / 5_000) / (small / 500)
    assert 0.5 < per_element_ratio < 2, (small, large)
