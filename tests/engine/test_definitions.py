"""Deploy-time validation: a diagram either compiles or is refused with problems a designer can
act on (file, element, message) — never any other exception."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

from engine.clock import FakeClock
from engine.config import REPO_ROOT
from engine.definitions.compile import (
    CompiledProcess,
    DefinitionInvalid,
    Problem,
    SourceFile,
    compile_bundle,
    read_paths,
    split_uploads,
)
from engine.definitions.forms import FormSource
from engine.runtime import LoadedSpec, RunContext, Runtime
from handlers import default_registry

MIWG = Path(__file__).resolve().parent.parent / "fixtures" / "miwg"
MIWG_MODELS = sorted(MIWG.glob("*.bpmn"))
FIXTURES = Path(__file__).parent / "fixtures"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{pid}" targetNamespace="https://caseway.example/test">
  <bpmn:process id="{pid}" name="{name}" isExecutable="{executable}">
    {lanes}
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
LANE = """<bpmn:laneSet id="lanes"><bpmn:lane id="lane_caseworker" name="Caseworker">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>task</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"""


def task(tag: str = "manualTask", *, extensions: str = "", after: str = "") -> str:
    """The element `task` between start and end; `after` goes after its flows (e.g. a script)."""
    ext = f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements>" if extensions else ""
    return (
        f'<bpmn:{tag} id="task" name="The task">{ext}'
        f"<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>{after}</bpmn:{tag}>"
    )


def diagram(
    body: str | None = None,
    *,
    pid: str = "proc",
    name: str = "A process",
    executable: bool = True,
    lanes: bool = True,
) -> bytes:
    return PROCESS.format(
        pid=pid,
        name=name,
        executable="true" if executable else "false",
        lanes=LANE if lanes else "",
        body=task() if body is None else body,
    ).encode()


def properties(**props: str) -> str:
    items = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in props.items())
    return f"<spiffworkflow:properties>{items}</spiffworkflow:properties>"


def operator(name: str, **params: str) -> str:
    items = "".join(
        f'<spiffworkflow:parameter id="{k}" type="str" value="{escape(v)}"/>'
        for k, v in params.items()
    )
    return (
        f'<spiffworkflow:serviceTaskOperator id="{name}">'
        f"<spiffworkflow:parameters>{items}</spiffworkflow:parameters>"
        "</spiffworkflow:serviceTaskOperator>"
    )


def compile_files(
    *files: SourceFile, forms_dir: Path = REPO_ROOT / "forms"
) -> list[CompiledProcess]:
    """What `caseway deploy` and POST /api/definitions do before touching the database."""
    diagrams, uploaded = split_uploads(list(files))
    return compile_bundle(diagrams, FormSource(forms_dir, uploaded), default_registry())


def problems_of(*files: SourceFile, forms_dir: Path = REPO_ROOT / "forms") -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as caught:
        compile_files(*files, forms_dir=forms_dir)
    return caught.value.problems


def only_problem(*files: SourceFile) -> Problem:
    problems = problems_of(*files)
    assert len(problems) == 1, problems
    return problems[0]


def bpmn(content: bytes, name: str = "case.bpmn") -> SourceFile:
    return SourceFile(name, content)


# -- what ships and what others wrote -----------------------------------------------------------


def test_shipped_workflows_compile_with_their_queues_and_forms() -> None:
    compiled = compile_files(*read_paths([REPO_ROOT / "workflows"]))

    assert {p.process_id for p in compiled} >= {"discretionary_benefit", "intake"}
    process = next(p for p in compiled if p.process_id == "discretionary_benefit")
    assert {t.bpmn_id: t.queue for t in process.user_tasks.values()} == {
        "record_request": "caseworker",
        "decide_benefit": "caseworker",
        "decide_benefit_escalated": "supervisor",
        "approve_benefit": "supervisor",
    }
    assert set(process.forms) == {
        "discretionary_benefit_start",
        "benefit_request",
        "benefit_approval",
    }
    assert [f.name for f in process.files] == ["discretionary_benefit.bpmn"]


def test_miwg_reference_corpus_is_present() -> None:
    assert MIWG.is_dir(), f"the MIWG corpus is missing: expected it at {MIWG}"
    assert len(MIWG_MODELS) >= 21, f"only {len(MIWG_MODELS)} models found in {MIWG}"


@pytest.mark.parametrize("path", MIWG_MODELS, ids=[p.name for p in MIWG_MODELS])
def test_miwg_model_deploys_or_is_refused_naming_file_and_element(path: Path) -> None:
    source = bpmn(path.read_bytes(), path.name)

    try:
        compiled = compile_files(source)
    except DefinitionInvalid as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == path.name
            assert problem.message.strip()
            assert problem.element_id, problem
            assert " at 0x" not in problem.message  # no Python object reprs
    else:
        assert compiled and all(p.sha256 for p in compiled)


@pytest.mark.parametrize("name", ["C.7.0.bpmn", "C.8.1.bpmn", "C.9.0.bpmn"])
def test_miwg_business_rule_tasks_without_spiff_decision_are_refused(name: str) -> None:
    source = bpmn((MIWG / name).read_bytes(), name)

    problems = problems_of(source)

    assert problems
    assert all("names no decision" in p.message for p in problems)


def test_miwg_c91_deploys_with_its_unrouted_task_in_the_default_queue() -> None:
    source = bpmn((MIWG / "C.9.1.bpmn").read_bytes(), "C.9.1.bpmn")

    (process,) = compile_files(source)

    assert process.user_tasks["UserTask_CallCustomer"].queue == "triage"
    assert [(w.element_id, "default queue" in w.message) for w in process.warnings] == [
        ("UserTask_CallCustomer", True)
    ]


def c91_made_executable() -> bytes:
    """C.9.1 with the one thing Caseway needs: a queue for the user task (bare ISO timers work)."""
    content = (MIWG / "C.9.1.bpmn").read_bytes()
    content = content.replace(
        b"xmlns:camunda=", f'xmlns:spiffworkflow="{SPIFF_NS}" xmlns:camunda='.encode(), 1
    )
    content = content.replace(
        b'<bpmn:userTask id="UserTask_CallCustomer" name="Call customer">',
        b'<bpmn:userTask id="UserTask_CallCustomer" name="Call customer">'
        b"<bpmn:extensionElements>"
        + properties(candidateGroups="Caseworker").encode()
        + b"</bpmn:extensionElements>",
    )
    return content


def test_miwg_c91_with_a_queue_is_a_runnable_process() -> None:
    compiled = compile_files(bpmn(c91_made_executable(), "C.9.1.bpmn"))

    assert [p.process_id for p in compiled] == ["requestDocument_en"]
    assert compiled[0].user_tasks["UserTask_CallCustomer"].queue == "caseworker"
    runtime = Runtime(default_registry(), FakeClock())
    outcome = runtime.start(
        LoadedSpec.from_json(compiled[0].spec_json), {}, RunContext("i-1", "case-1")
    )
    assert outcome.status == "waiting"
    assert outcome.incident is None
    # Its send task is a Camunda external task (topic emailService): a worker sends the request.
    [request] = outcome.external_tasks or []
    assert (request.activity_id, request.topic) == ("SendTask_RequestDocument", "emailService")
    outcome = runtime.complete_external(
        LoadedSpec.from_json(compiled[0].spec_json),
        outcome.state,
        request.task_id,
        {},
        RunContext("i-1", "case-1"),
    )
    assert [w.message_name for w in outcome.message_waits] == ["MESSAGE_documentReceived"]
    assert sorted(t.name for t in outcome.timers) == ["BoundaryEvent_1", "BoundaryEvent_2"]


# -- problems a designer makes ------------------------------------------------------------------


def test_business_rule_task_without_decision_reference_names_the_element() -> None:
    problem = only_problem(bpmn(diagram(task("businessRuleTask"))))

    assert (problem.file, problem.element_id) == ("case.bpmn", "task")
    assert "decision" in problem.message


def test_business_rule_task_naming_a_decision_nobody_uploaded_names_the_element() -> None:
    decision = "<spiffworkflow:calledDecisionId>benefit_tier</spiffworkflow:calledDecisionId>"

    problem = only_problem(bpmn(diagram(task("businessRuleTask", extensions=decision))))

    assert (problem.file, problem.element_id) == ("case.bpmn", "task")
    assert "benefit_tier" in problem.message


def test_business_rule_task_with_its_dmn_compiles() -> None:
    decision = "<spiffworkflow:calledDecisionId>benefit_tier</spiffworkflow:calledDecisionId>"
    dmn = SourceFile("benefit_tier.dmn", (FIXTURES / "benefit_tier.dmn").read_bytes())

    compiled = compile_files(bpmn(diagram(task("businessRuleTask", extensions=decision))), dmn)

    assert sorted(f.name for f in compiled[0].files) == ["benefit_tier.dmn", "case.bpmn"]


def test_unknown_service_operator_names_element_and_operator() -> None:
    body = task("serviceTask", extensions=operator("launch_rockets"))

    problem = only_problem(bpmn(diagram(body)))

    assert problem.element_id == "task"
    assert "launch_rockets" in problem.message
    assert "notify" in problem.message  # what is available instead


def test_service_operator_with_no_parameters_block_still_names_the_element() -> None:
    body = task("serviceTask", extensions='<spiffworkflow:serviceTaskOperator id="notify"/>')

    problem = only_problem(bpmn(diagram(body)))

    assert problem.element_id == "task"
    assert "{http" not in problem.message


def test_wrong_and_missing_handler_parameters_are_each_reported() -> None:
    body = task("serviceTask", extensions=operator("notify", chanel='"sms"', recipient="phone"))

    problems = problems_of(bpmn(diagram(body)))

    assert {p.element_id for p in problems} == {"task"}
    assert sorted(p.message for p in problems) == [
        "notify: missing parameter 'channel'",
        "notify: unknown parameter 'chanel'",
    ]


def test_handler_parameter_expression_goes_through_the_sandbox() -> None:
    params = {"channel": '"sms"', "recipient": "().__class__", "subject": '"hi"'}
    body = task("serviceTask", extensions=operator("notify", **params))

    problem = only_problem(bpmn(diagram(body)))

    assert problem.element_id == "task"
    assert "recipient" in problem.message and "__class__" in problem.message


def test_complete_service_task_compiles() -> None:
    params = {"channel": '"sms"', "recipient": "phone", "subject": '"Your case"'}

    compiled = compile_files(
        bpmn(diagram(task("serviceTask", extensions=operator("notify", **params))))
    )

    assert compiled[0].process_id == "proc"


def test_user_task_in_no_lane_without_candidate_groups_goes_to_the_default_queue() -> None:
    (process,) = compile_files(bpmn(diagram(task("userTask"), lanes=False)))

    assert process.user_tasks["task"].queue == "triage"
    (warning,) = process.warnings
    assert (warning.file, warning.element_id) == ("case.bpmn", "task")
    assert "lane" in warning.message and "'triage'" in warning.message


def test_candidate_groups_give_a_laneless_user_task_its_queue() -> None:
    body = task("userTask", extensions=properties(candidateGroups="Intake Worker"))

    compiled = compile_files(bpmn(diagram(body, lanes=False)))

    assert compiled[0].user_tasks["task"].queue == "intake_worker"


def test_candidate_groups_naming_several_queues_use_the_first_with_a_warning() -> None:
    body = task("userTask", extensions=properties(candidateGroups="caseworker, supervisor"))

    (process,) = compile_files(bpmn(diagram(body, lanes=False)))

    assert process.user_tasks["task"].queue == "caseworker"
    (warning,) = process.warnings
    assert warning.element_id == "task" and "supervisor" in warning.message


def test_form_key_without_a_form_is_refused_naming_element_and_key() -> None:
    body = task("userTask", extensions=properties(formKey="no_such_form"))

    problem = only_problem(bpmn(diagram(body)))

    assert problem.element_id == "task"
    assert "no_such_form" in problem.message


def test_form_uploaded_with_the_diagram_is_used() -> None:
    schema = {"type": "object", "properties": {"note": {"type": "string"}}}
    body = task("userTask", extensions=properties(formKey="note_form"))

    compiled = compile_files(
        bpmn(diagram(body)), SourceFile("note_form.schema.json", json.dumps(schema).encode())
    )

    assert compiled[0].forms["note_form"].schema == schema


@pytest.mark.parametrize(
    "content",
    [b'{"type": "strnig"}', b"{not json", b"[1, 2]"],
    ids=["bad-type", "not-json", "not-an-object"],
)
def test_invalid_form_uploaded_as_json_part_is_refused_naming_the_file(content: bytes) -> None:
    body = task("userTask", extensions=properties(formKey="note_form"))

    problem = only_problem(bpmn(diagram(body)), SourceFile("note_form.schema.json", content))

    assert problem.file == "note_form.schema.json"
    assert problem.message.strip()


def test_non_executable_process_is_refused_naming_the_process() -> None:
    problem = only_problem(bpmn(diagram(executable=False)))

    assert (problem.file, problem.element_id) == ("case.bpmn", "proc")
    assert "executable" in problem.message


def test_non_executable_file_next_to_an_executable_one_is_not_silently_skipped() -> None:
    problems = problems_of(
        bpmn(diagram(pid="main"), "main.bpmn"),
        bpmn(diagram(pid="sketch", executable=False), "sketch.bpmn"),
    )

    assert [(p.file, p.element_id) for p in problems] == [("sketch.bpmn", "sketch")]


def test_malformed_xml_is_refused_naming_the_file() -> None:
    content = diagram().replace(b"</bpmn:process>", b"")

    problem = only_problem(bpmn(content))

    assert problem.file == "case.bpmn"
    assert "well-formed" in problem.message


def test_script_task_importing_os_is_refused_naming_the_element() -> None:
    body = task("scriptTask", after="<bpmn:script>import os\nos.system('id')</bpmn:script>")

    problem = only_problem(bpmn(diagram(body)))

    assert problem.element_id == "task"
    assert "import" in problem.message.lower()


def test_gateway_condition_using_dunder_is_refused_naming_the_gateway() -> None:
    body = """
    <bpmn:exclusiveGateway id="route" default="f_no"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_yes" sourceRef="route" targetRef="task">
      <bpmn:conditionExpression>().__class__.__base__.__subclasses__()</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="route" targetRef="task"/>
    <bpmn:manualTask id="task"><bpmn:incoming>f_yes</bpmn:incoming>
      <bpmn:incoming>f_no</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:manualTask>"""
    content = diagram(body).replace(
        b'id="f1" sourceRef="start" targetRef="task"',
        b'id="f1" sourceRef="start" targetRef="route"',
    )

    problem = only_problem(bpmn(content))

    assert problem.element_id == "route"
    assert "__class__" in problem.message


def timer_diagram(expression: str) -> bytes:
    body = task() + (
        '<bpmn:boundaryEvent id="deadline" attachedToRef="task">'
        "<bpmn:outgoing>f3</bpmn:outgoing>"
        f'<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>{expression}'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="late"/>'
    )
    return diagram(body)


@pytest.mark.parametrize("expression", ["P7D", "PT36H", "P3M", "PT0.5H"])
def test_bare_iso_durations_compile(expression: str) -> None:
    assert compile_files(bpmn(timer_diagram(expression)))[0].process_id == "proc"


@pytest.mark.parametrize("expression", ["R3/PT1H", '"R3/PT1H"', "2027-01-04T09:00:00", '"P1Q"'])
def test_timer_literal_of_the_wrong_kind_is_refused(expression: str) -> None:
    problem = only_problem(bpmn(timer_diagram(expression)))

    assert problem.element_id == "deadline"
    assert problem.message.startswith("timer")


def test_timer_expression_goes_through_the_sandbox() -> None:
    problem = only_problem(bpmn(timer_diagram("().__class__")))

    assert problem.element_id == "deadline"
    assert "__class__" in problem.message


@pytest.mark.parametrize("expression", ['"P7D"', "&quot;PT36H&quot;", "review_period"])
def test_quoted_or_computed_timer_compiles(expression: str) -> None:
    assert compile_files(bpmn(timer_diagram(expression)))[0].process_id == "proc"


def test_several_files_with_the_same_name_are_refused() -> None:
    problems = problems_of(bpmn(diagram(pid="a")), bpmn(diagram(pid="b")))

    assert [p.file for p in problems] == ["case.bpmn"]
    assert "name" in problems[0].message


def test_folder_deploy_keeps_same_named_files_in_subfolders_apart(tmp_path: Path) -> None:
    (tmp_path / "intake").mkdir()
    (tmp_path / "review").mkdir()
    (tmp_path / "intake" / "main.bpmn").write_bytes(diagram(pid="intake"))
    (tmp_path / "review" / "main.bpmn").write_bytes(diagram(pid="review"))

    compiled = compile_files(*read_paths([tmp_path]))

    assert sorted(p.process_id for p in compiled) == ["intake", "review"]
    assert sorted(p.files[0].name for p in compiled) == ["intake/main.bpmn", "review/main.bpmn"]


def test_only_bpmn_files_given_is_required() -> None:
    dmn = SourceFile("benefit_tier.dmn", (FIXTURES / "benefit_tier.dmn").read_bytes())

    problem = only_problem(dmn)

    assert problem.file == "benefit_tier.dmn"
    assert "BPMN" in problem.message


# -- fingerprints ---------------------------------------------------------------------------------


def form_process() -> SourceFile:
    return bpmn(diagram(task("userTask", extensions=properties(formKey="note_form"))))


def form_file(max_length: int) -> SourceFile:
    schema = {"type": "object", "properties": {"note": {"type": "string", "maxLength": max_length}}}
    return SourceFile("note_form.schema.json", json.dumps(schema).encode())


def test_identical_content_gives_the_same_sha256() -> None:
    first = compile_files(bpmn(diagram()))[0]
    second = compile_files(bpmn(diagram()))[0]

    assert first.sha256 == second.sha256
    assert len(first.sha256) == 64


def test_any_diagram_change_gives_a_different_sha256() -> None:
    before = compile_files(bpmn(diagram()))[0]
    after = compile_files(bpmn(diagram(name="A process, renamed")))[0]

    assert before.sha256 != after.sha256


def test_uploaded_form_change_gives_a_different_sha256() -> None:
    before = compile_files(form_process(), form_file(100))[0]
    same = compile_files(form_process(), form_file(100))[0]
    after = compile_files(form_process(), form_file(200))[0]

    assert before.sha256 == same.sha256
    assert before.sha256 != after.sha256


def test_form_change_in_the_forms_folder_gives_a_different_sha256(tmp_path: Path) -> None:
    schema_path = tmp_path / "note_form.schema.json"
    schema_path.write_bytes(form_file(100).content)
    before = compile_files(form_process(), forms_dir=tmp_path)[0]
    schema_path.write_bytes(form_file(200).content)

    after = compile_files(form_process(), forms_dir=tmp_path)[0]

    assert before.sha256 != after.sha256


def test_folder_deploy_changing_one_file_changes_only_that_process(tmp_path: Path) -> None:
    (tmp_path / "intake.bpmn").write_bytes(diagram(pid="intake"))
    (tmp_path / "review.bpmn").write_bytes(diagram(pid="review"))
    before = {p.process_id: p.sha256 for p in compile_files(*read_paths([tmp_path]))}
    (tmp_path / "review.bpmn").write_bytes(diagram(pid="review", name="Review, reworded"))

    after = {p.process_id: p.sha256 for p in compile_files(*read_paths([tmp_path]))}

    assert after["intake"] == before["intake"]
    assert after["review"] != before["review"]


def test_dmn_change_changes_only_the_process_that_uses_the_decision(tmp_path: Path) -> None:
    decision = "<spiffworkflow:calledDecisionId>benefit_tier</spiffworkflow:calledDecisionId>"
    dmn = (FIXTURES / "benefit_tier.dmn").read_bytes()
    (tmp_path / "tiered.bpmn").write_bytes(
        diagram(task("businessRuleTask", extensions=decision), pid="tiered")
    )
    (tmp_path / "plain.bpmn").write_bytes(diagram(pid="plain"))
    (tmp_path / "benefit_tier.dmn").write_bytes(dmn)
    before = {p.process_id: p.sha256 for p in compile_files(*read_paths([tmp_path]))}
    (tmp_path / "benefit_tier.dmn").write_bytes(dmn.replace(b'"large"', b'"generous"'))

    after = {p.process_id: p.sha256 for p in compile_files(*read_paths([tmp_path]))}

    assert after["plain"] == before["plain"]
    assert after["tiered"] != before["tiered"]
