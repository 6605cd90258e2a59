"""Service tasks, script errors, retry and messages through `Runtime`."""

from __future__ import annotations

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.runtime import MessageNotExpected, NothingToRetry
from engine.runtime.spiff import workflow_from_json
from handlers import HandlerContext, HandlerError, HandlerRegistry, OutboxMessage
from tests.engine.test_runtime_support import Case


class Partner:
    """A partner system that is down until told otherwise."""

    def __init__(self) -> None:
        self.up = False
        self.calls: list[str] = []

        def check(ctx: HandlerContext, *, reference: str) -> dict:
            self.calls.append(reference)
            if not self.up:
                raise HandlerError("partner system down")
            ctx.emit(OutboxMessage("email", "client@example.org", f"Checked {reference}"))
            return {"status": "known", "reference": reference, "task": ctx.task_name}

        self.check = check


def _failed_task_data(case: Case) -> dict:
    workflow = workflow_from_json(case.state, case.spec.spec, case.spec.subprocess_specs)
    (failed,) = [t for t in workflow.tasks.values() if t.state == TaskState.ERROR]
    return failed.data


def _service_case(handler=None, *, runtime_registry: HandlerRegistry | None = None) -> Case:
    registry = HandlerRegistry()
    registry.register("partner_check", handler or Partner().check)
    runtime = registry if runtime_registry is None else runtime_registry
    return Case(
        "runtime_service.bpmn", {"client": "c-17"}, registry=runtime, compile_registry=registry
    )


def test_handler_error_gives_clear_incident_and_keeps_data() -> None:
    case = _service_case()
    outcome = case.outcome
    assert outcome.status == "error"
    assert outcome.incident is not None
    assert "partner system down" in outcome.incident.message
    assert "script" not in outcome.incident.message
    assert outcome.incident.kind == "service"
    assert outcome.incident.task_name == "check_partner"
    assert outcome.data == {"client": "c-17", "prepared": "ref-c-17"}
    assert outcome.open_tasks == [] and outcome.outbox == []
    assert _failed_task_data(case) == {"client": "c-17", "prepared": "ref-c-17"}


def test_retry_after_the_partner_recovers_completes_the_instance() -> None:
    partner = Partner()
    case = _service_case(partner.check)
    case.do(case.runtime.retry)
    assert case.outcome.status == "error"
    assert partner.calls == ["ref-c-17", "ref-c-17"]
    partner.up = True
    case.do(case.runtime.retry)
    assert case.outcome.status == "waiting", case.outcome.incident
    assert case.outcome.incident is None
    assert case.outcome.data["partner"] == {
        "status": "known",
        "reference": "ref-c-17",
        "task": "check_partner",
    }
    assert [m.subject for m in case.outcome.outbox] == ["Checked ref-c-17"]
    case.complete("review")
    assert case.outcome.status == "completed"
    assert case.outcome.outbox == []


def test_failed_branch_survives_work_in_the_other_branch() -> None:
    partner = Partner()
    registry = HandlerRegistry()
    registry.register("partner_check", partner.check)
    case = Case("runtime_parallel_service.bpmn", {"client": "c-3"}, registry=registry)
    assert case.outcome.status == "error"
    assert case.names() == ["interview"]
    case.complete("interview", {"notes": "seen"})
    assert case.outcome.status == "error", "a failed task still blocks the instance"
    partner.up = True
    case.do(case.runtime.retry)
    assert case.outcome.status == "completed", case.outcome.incident
    assert case.outcome.data["notes"] == "seen"
    assert case.outcome.data["partner"]["reference"] == "c-3"


def test_retry_on_a_healthy_instance_raises_nothing_to_retry() -> None:
    partner = Partner()
    partner.up = True
    case = _service_case(partner.check)
    assert case.outcome.status == "waiting"
    with pytest.raises(NothingToRetry):
        case.do(case.runtime.retry)


def test_operator_missing_at_run_time_gives_clear_incident() -> None:
    case = _service_case(runtime_registry=HandlerRegistry())
    incident = case.outcome.incident
    assert case.outcome.status == "error" and incident is not None
    assert incident.kind == "service" and incident.task_name == "check_partner"
    assert "partner_check" in incident.message and "no handler" in incident.message
    assert case.outcome.data["prepared"] == "ref-c-17"


@pytest.mark.parametrize("value", [{1, 2}, {"when": object()}, float("nan")])
def test_handler_returning_non_json_gives_clear_incident(value: object) -> None:
    def bad(ctx: HandlerContext, *, reference: str) -> object:
        return value

    case = _service_case(bad)
    incident = case.outcome.incident
    assert case.outcome.status == "error" and incident is not None
    assert incident.kind == "service"
    assert "partner_check" in incident.message and "JSON" in incident.message


def test_handler_crashing_with_an_unexpected_exception_is_a_service_incident() -> None:
    def crashing(ctx: HandlerContext, *, reference: str) -> dict:
        return {"value": {}["missing"]}

    case = _service_case(crashing)
    incident = case.outcome.incident
    assert case.outcome.status == "error" and incident is not None
    assert incident.kind == "service" and incident.task_name == "check_partner"
    assert "KeyError" in incident.message and "missing" in incident.message


def test_script_error_gives_script_incident() -> None:
    case = Case("runtime_script_error.bpmn", {"amount": 100, "people": 0})
    incident = case.outcome.incident
    assert case.outcome.status == "error" and incident is not None
    assert incident.kind == "script"
    assert incident.task_name == "divide"
    assert "ZeroDivisionError" in incident.message
    assert case.outcome.data == {"amount": 100, "people": 0, "prepared": True}
    case.do(case.runtime.retry)
    assert case.outcome.status == "error"
    assert "ZeroDivisionError" in case.outcome.incident.message
    assert "touched" not in case.outcome.data
    assert _failed_task_data(case) == {"amount": 100, "people": 0, "prepared": True}


def test_endless_automatic_loop_stops_with_an_incident_and_retry_continues() -> None:
    options = {"max_automatic_tasks": 600}
    case = Case("runtime_auto_loop.bpmn", {"count": 0, "limit": 250}, runtime_options=options)
    incident = case.outcome.incident
    assert case.outcome.status == "error" and incident is not None
    assert "automatic steps" in incident.message and incident.task_name is not None
    assert 150 <= case.outcome.data["count"] < 250
    case.do(case.runtime.retry)
    assert case.outcome.status == "completed", case.outcome.incident
    assert case.outcome.data["count"] == 250


# -- messages ---------------------------------------------------------------------------------


def test_message_payload_is_merged_and_instance_moves_on() -> None:
    case = Case("runtime_message.bpmn", {"client": "c-9"})
    assert case.names() == []
    assert [w.message_name for w in case.outcome.message_waits] == ["documents_received"]
    case.do(case.runtime.deliver_message, "documents_received", {"documents": ["id", "lease"]})
    assert case.names() == ["review_docs"]
    assert case.outcome.message_waits == []
    assert case.outcome.data == {"client": "c-9", "documents": ["id", "lease"]}


def test_unexpected_message_name_is_refused() -> None:
    case = Case("runtime_message.bpmn")
    with pytest.raises(MessageNotExpected):
        case.do(case.runtime.deliver_message, "something_else", {"x": 1})
    assert [w.message_name for w in case.outcome.message_waits] == ["documents_received"]
