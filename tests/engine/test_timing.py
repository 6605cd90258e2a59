"""Timer values as designers write them: bare ISO literals, office-zone dates, business time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from engine.clock import FakeClock
from engine.definitions.compile import SourceFile, compile_bundle
from engine.definitions.forms import FormSource
from engine.runtime import LoadedSpec, RunContext, Runtime
from engine.runtime.timing import is_iso_literal
from handlers import HandlerRegistry

RUN = RunContext("i-1", "case-1", "sudbury")


def deadline_diagram(kind: str, value: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
                  targetNamespace="https://caseway.example/tests">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Caseworker">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>task</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="task"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="deadline" attachedToRef="task"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:{kind}>{value}</bpmn:{kind}>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="late"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def due_at(
    kind: str, value: str, now: datetime, data: dict | None = None, run: RunContext = RUN
) -> datetime:
    (compiled,) = compile_bundle(
        [SourceFile("t.bpmn", deadline_diagram(kind, value))], FormSource(None), HandlerRegistry()
    )
    runtime = Runtime(HandlerRegistry(), FakeClock(now))
    outcome = runtime.start(LoadedSpec.from_json(compiled.spec_json), data or {}, run)
    assert outcome.incident is None, outcome.incident
    (timer,) = outcome.timers
    return timer.due_at


MONDAY_NOON_TORONTO = datetime(2027, 1, 4, 17, 0, tzinfo=UTC)
THURSDAY_BEFORE_GOOD_FRIDAY = datetime(2027, 3, 25, 14, 0, tzinfo=UTC)  # 10:00 in Toronto


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT4H", True),
        ("R/P3M", True),
        ("2027-01-04T09:00:00-05:00", True),
        ("P", False),
        ('"PT4H"', False),
        ("business_days(4)", False),
        ("review_period", False),
    ],
)
def test_iso_literal_recognition(text, expected):
    assert is_iso_literal(text) is expected


def test_bare_duration_literal_schedules():
    assert due_at("timeDuration", "PT4H", MONDAY_NOON_TORONTO) == datetime(
        2027, 1, 4, 21, 0, tzinfo=UTC
    )


def test_quoted_and_computed_durations_still_work():
    now = MONDAY_NOON_TORONTO
    assert due_at("timeDuration", '"P1D"', now) == datetime(2027, 1, 5, 17, 0, tzinfo=UTC)
    assert due_at("timeDuration", "wait", now, {"wait": "PT30M"}) == datetime(
        2027, 1, 4, 17, 30, tzinfo=UTC
    )


def test_a_date_without_zone_is_office_time_not_server_time():
    due = due_at("timeDate", "2027-01-05T09:00:00", MONDAY_NOON_TORONTO)

    assert due == datetime(2027, 1, 5, 14, 0, tzinfo=UTC)


def test_business_days_skip_good_friday_and_the_weekend():
    due = due_at("timeDuration", "business_days(2)", THURSDAY_BEFORE_GOOD_FRIDAY)

    assert due == datetime(2027, 3, 30, 14, 0, tzinfo=UTC)  # Tuesday 10:00 Toronto


def test_business_days_skip_the_office_closure_days_read_once_when_needed():
    reads: list[str] = []

    def closures() -> list[date]:
        reads.append("read")
        return [date(2027, 3, 29)]  # the Monday after Easter: staff training

    run = replace(RUN, closures=closures)
    due = due_at("timeDuration", "business_days(2)", THURSDAY_BEFORE_GOOD_FRIDAY, run=run)

    assert due == datetime(2027, 3, 31, 14, 0, tzinfo=UTC)  # Wednesday 10:00 Toronto
    assert reads == ["read"]


def test_a_deadline_in_calendar_time_never_reads_the_closure_days():
    reads: list[str] = []
    run = replace(RUN, closures=lambda: reads.append("read") or [])

    due_at("timeDuration", "PT4H", MONDAY_NOON_TORONTO, run=run)

    assert reads == []


def test_business_days_in_a_time_date_and_from_a_date_in_the_data():
    due = due_at(
        "timeDate",
        "business_days(4, received_at)",
        MONDAY_NOON_TORONTO,
        {"received_at": "2027-03-25T10:00:00"},
    )

    # Thursday 10:00; Good Friday closed: Mon, Tue, Wed, Thu → Thursday April 1, 10:00 Toronto.
    assert due == datetime(2027, 4, 1, 14, 0, tzinfo=UTC)


def test_business_hours_cross_the_night():
    # Monday 16:00 Toronto + 2 business hours: 30 minutes left on Monday (office hours
    # 08:30-16:30), then 90 minutes on Tuesday = Tuesday 10:00 Toronto.
    due = due_at("timeDuration", "business_hours(2)", datetime(2027, 1, 4, 21, 0, tzinfo=UTC))

    assert due == datetime(2027, 1, 5, 15, 0, tzinfo=UTC)


def test_a_timer_that_cannot_be_evaluated_is_an_incident_not_a_silent_wait():
    (compiled,) = compile_bundle(
        [SourceFile("t.bpmn", deadline_diagram("timeDuration", "no_such_variable"))],
        FormSource(None),
        HandlerRegistry(),
    )
    runtime = Runtime(HandlerRegistry(), FakeClock(MONDAY_NOON_TORONTO))

    outcome = runtime.start(LoadedSpec.from_json(compiled.spec_json), {}, RUN)

    assert outcome.status == "error"
    assert "no_such_variable" in outcome.incident.message
