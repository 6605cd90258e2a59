"""Deploy checks of the `pausesStandard` extension (clocks that stop)."""

from __future__ import annotations

import pytest

from engine.definitions.compile import DefinitionInvalid, SourceFile, compile_bundle, split_uploads
from engine.definitions.forms import FormSource
from handlers import HandlerRegistry
from tests.api.helpers import FIXTURES

PAUSED = (FIXTURES / "paused_decision.bpmn").read_text()


def _compile(xml: str) -> list:
    form = FIXTURES / "paused_assess.schema.json"
    sources = [SourceFile("p.bpmn", xml.encode()), SourceFile(form.name, form.read_bytes())]
    diagrams, uploaded = split_uploads(sources)
    return compile_bundle(diagrams, FormSource(None, uploaded), HandlerRegistry())


def test_the_shipped_example_deploys():
    (compiled,) = _compile(PAUSED)

    assert compiled.process_id == "paused_decision"


def test_a_name_that_is_neither_a_standard_nor_a_timer_is_refused():
    xml = PAUSED.replace('value="emergency_decision_business_days" />', 'value="no_such" />')

    with pytest.raises(DefinitionInvalid) as refused:
        _compile(xml)

    (problem,) = refused.value.problems
    assert problem.element_id == "documents_received" and "'no_such'" in problem.message


def test_a_timer_id_may_be_named():
    xml = PAUSED.replace(
        'value="emergency_decision_business_days" />', 'value="standard_missed" />'
    )

    assert _compile(xml)


def test_an_element_that_never_waits_is_refused():
    xml = PAUSED.replace(
        '<bpmn:startEvent id="s_start">',
        '<bpmn:startEvent id="s_start"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="pausesStandard" value="appeal_days" />'
        "</spiffworkflow:properties></bpmn:extensionElements>",
    )

    with pytest.raises(DefinitionInvalid) as refused:
        _compile(xml)

    assert [p.element_id for p in refused.value.problems] == ["s_start"]
