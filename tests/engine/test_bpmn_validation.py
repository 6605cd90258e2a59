"""Deploy-time validation as designers meet it: every problem of every stage in one answer,
readable messages for timers, duplicate ids and Java code, and the Camunda dialect accepted
where Caseway can honour it."""

from __future__ import annotations

import pytest

from engine.config import REPO_ROOT
from engine.definitions.compile import (
    CompiledProcess,
    CompileOptions,
    DefinitionInvalid,
    SourceFile,
    compile_bundle,
    split_uploads,
)
from engine.definitions.dialects import EXTERNAL_TASK_OPERATOR
from engine.definitions.forms import FormSource
from engine.definitions.problems import Problem
from handlers import default_registry

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'


def diagram(body: str, *, extra_ns: str = "", pid: str = "proc") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {extra_ns}
    id="defs_{pid}" targetNamespace="https://caseway.example/test">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def task(tag: str, attrs: str = "", inner: str = "") -> str:
    return (
        f'<bpmn:{tag} id="task" name="The task" {attrs}>{inner}'
        f"<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:{tag}>"
    )


def timed(
    value: str, kind: str = "timeDuration", interrupting: bool = True, flow: bool = True
) -> str:
    boundary = (
        f'<bpmn:boundaryEvent id="deadline" attachedToRef="task" '
        f'cancelActivity="{"true" if interrupting else "false"}">'
        f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    if flow:
        boundary += (
            '<bpmn:endEvent id="late"/><bpmn:sequenceFlow id="f3" sourceRef="deadline" '
            'targetRef="late"/>'
        )
    return task("userTask", 'camunda:candidateGroups="caseworker"') + boundary


def compile_all(*files: SourceFile, options: CompileOptions | None = None) -> list[CompiledProcess]:
    diagrams, forms = split_uploads(list(files))
    return compile_bundle(
        diagrams, FormSource(REPO_ROOT / "forms", forms), default_registry(), options
    )


def problems(*files: SourceFile) -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as caught:
        compile_all(*files)
    return caught.value.problems


def bpmn(content: bytes, name: str = "case.bpmn") -> SourceFile:
    return SourceFile(name, content)


# -- timers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ns"),
    [('"banana"', ""), ("banana", CAMUNDA), ('"P3X"', ""), ("R/banana", CAMUNDA)],
    ids=["quoted", "camunda-bare", "bad-duration", "bad-cycle-text"],
)
def test_a_timer_that_is_no_date_duration_or_cycle_is_refused(value: str, ns: str) -> None:
    kind = "timeCycle" if value.startswith("R") else "timeDuration"

    (problem,) = problems(bpmn(diagram(timed(value, kind), extra_ns=CAMUNDA)))

    assert problem.element_id == "deadline"
    assert "not an ISO 8601 duration, date or cycle" in problem.message


def test_a_bare_name_in_the_spiff_dialect_reads_a_case_variable() -> None:
    body = timed("review_for").replace('camunda:candidateGroups="caseworker"', "")
    (process,) = compile_all(bpmn(diagram(body)))

    assert process.process_id == "proc"


@pytest.mark.parametrize("cron", ["0 0 9 * * MON-FRI", "0 15 10 ? * FRI 2027", '"0 0/5 * * * ?"'])
def test_quartz_cron_cycles_are_accepted(cron: str) -> None:
    (process,) = compile_all(bpmn(diagram(timed(cron, "timeCycle", False), extra_ns=CAMUNDA)))

    assert process.process_id == "proc"


def test_a_cron_field_the_scheduler_cannot_run_is_refused_at_deploy() -> None:
    """Quartz's L, W and # (last Friday, nearest weekday, n-th weekday) are not scheduled, so a
    diagram using them is refused with the reason rather than deployed to never fire."""
    cycle = timed("0 15 10 ? * 6L 2027", "timeCycle", False)
    (problem,) = problems(bpmn(diagram(cycle, extra_ns=CAMUNDA)))

    assert "L, W and # are not supported" in problem.message


def test_a_cron_expression_as_a_duration_is_refused() -> None:
    (problem,) = problems(bpmn(diagram(timed("0 0 9 * * MON-FRI"), extra_ns=CAMUNDA)))

    assert "timeCycle" in problem.message


def test_an_interrupting_timer_leading_nowhere_is_refused() -> None:
    (problem,) = problems(bpmn(diagram(timed('"P2D"', flow=False), extra_ns=CAMUNDA)))

    assert problem.element_id == "deadline"
    assert "no outgoing flow" in problem.message


def test_a_non_interrupting_reminder_may_lead_nowhere() -> None:
    body = timed('"P2D"', interrupting=False, flow=False)

    assert compile_all(bpmn(diagram(body, extra_ns=CAMUNDA)))[0].process_id == "proc"


# -- structure ----------------------------------------------------------------------------------


def test_duplicate_ids_are_named_in_words() -> None:
    body = task("userTask", 'camunda:candidateGroups="caseworker"') + '<bpmn:endEvent id="end"/>'

    (problem,) = problems(bpmn(diagram(body, extra_ns=CAMUNDA)))

    assert problem.element_id == "end"
    assert "used by 2 elements" in problem.message and "different" in problem.message


def test_every_problem_of_every_stage_comes_in_one_answer() -> None:
    duplicated = bpmn(diagram(task("task") + '<bpmn:task id="task"/>', pid="a"), "a.bpmn")
    java = bpmn(
        diagram(task("serviceTask", 'camunda:class="org.example.Send"'), extra_ns=CAMUNDA, pid="b"),
        "b.bpmn",
    )
    bad_script = bpmn(
        diagram(task("scriptTask", inner="<bpmn:script>import os</bpmn:script>"), pid="c"),
        "c.bpmn",
    )
    bad_timer = bpmn(diagram(timed('"banana"'), extra_ns=CAMUNDA, pid="d"), "d.bpmn")

    found = problems(duplicated, java, bad_script, bad_timer)

    assert {(p.file, p.element_id) for p in found} == {
        ("a.bpmn", "task"),
        ("b.bpmn", "task"),
        ("c.bpmn", "task"),
        ("d.bpmn", "deadline"),
    }


# -- Camunda 7 dialect ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "inner", "words"),
    [
        ('camunda:class="org.example.Send"', "", "Java class"),
        ('camunda:delegateExpression="${sender}"', "", "delegate expression"),
        ('camunda:expression="${bean.send()}"', "", "method expression"),
        (
            "",
            '<bpmn:extensionElements><camunda:executionListener class="org.example.L" '
            'event="start"/></bpmn:extensionElements>',
            "Java class",
        ),
    ],
    ids=["class", "delegateExpression", "expression", "listener"],
)
def test_java_code_is_refused_saying_so(attrs: str, inner: str, words: str) -> None:
    tag = "serviceTask" if attrs else "scriptTask"
    if not attrs:
        inner += "<bpmn:script>x = 1</bpmn:script>"

    found = problems(bpmn(diagram(task(tag, attrs, inner), extra_ns=CAMUNDA)))

    assert [p.element_id for p in found] == ["task"]
    assert words in found[0].message and "cannot run" in found[0].message


@pytest.mark.parametrize(
    ("attrs", "inner", "ns"),
    [
        ('camunda:type="external" camunda:topic="send-letter"', "", CAMUNDA),
        (
            "",
            '<bpmn:extensionElements><zeebe:taskDefinition type="send-letter"/>'
            "</bpmn:extensionElements>",
            ZEEBE,
        ),
    ],
    ids=["camunda7", "zeebe"],
)
def test_external_tasks_parse_for_the_external_task_workers(
    attrs: str, inner: str, ns: str
) -> None:
    (process,) = compile_all(bpmn(diagram(task("serviceTask", attrs, inner), extra_ns=ns)))

    spec = process.spec_json
    assert EXTERNAL_TASK_OPERATOR in spec and "send-letter" in spec


def test_a_decision_binding_other_than_latest_is_a_warning() -> None:
    body = task(
        "businessRuleTask",
        'camunda:decisionRef="leave_decision" camunda:decisionRefBinding="version"',
    )
    dmn = (REPO_ROOT / "tests/fixtures/dialects/leave_decision.dmn").read_bytes()

    (process,) = compile_all(bpmn(diagram(body, extra_ns=CAMUNDA)), SourceFile("d.dmn", dmn))

    assert any("latest" in w.message for w in process.warnings)


def test_input_output_scripts_are_refused_naming_the_parameter() -> None:
    inner = (
        '<bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x">'
        '<camunda:script scriptFormat="groovy">1</camunda:script></camunda:inputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements>"
    )

    (problem,) = problems(bpmn(diagram(task("task", "", inner), extra_ns=CAMUNDA)))

    assert "'x'" in problem.message and "not scripts" in problem.message


def test_manual_tasks_can_be_configured_as_checklist_tasks() -> None:
    body = task("manualTask", 'camunda:candidateGroups="caseworker"')
    source = bpmn(diagram(body, extra_ns=CAMUNDA))

    (passing,) = compile_all(source)
    (checklist,) = compile_all(source, options=CompileOptions(manual_tasks="checklist"))

    assert passing.user_tasks == {}
    assert checklist.user_tasks["task"].queue == "caseworker"


def test_a_process_may_name_its_own_default_queue() -> None:
    content = diagram(task("userTask")).replace(
        b'isExecutable="true">',
        b'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="defaultQueue" value="Intake Worker"/></camunda:properties>'
        b"</bpmn:extensionElements>",
    )

    (process,) = compile_all(bpmn(diagram_ns(content)))

    assert process.user_tasks["task"].queue == "intake_worker"
    assert "'intake_worker'" in process.warnings[0].message


def diagram_ns(content: bytes) -> bytes:
    return content.replace(b"<bpmn:definitions ", f"<bpmn:definitions {CAMUNDA} ".encode(), 1)
