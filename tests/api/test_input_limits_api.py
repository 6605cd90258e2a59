"""Hostile request bodies get a 4xx naming the field, never a 500, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.store.models import ProcessInstance
from tests.api.helpers import WORKFLOWS, upload


@pytest.fixture
def designed(api):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
    return api


def _start_raw(api, body: str):  # type: ignore[no-untyped-def]
    return api.as_("casey").post(
        "/api/instances", data=body, headers={"Content-Type": "application/json"}
    )


def _instances(svc) -> int:  # type: ignore[no-untyped-def]
    with svc.sessions() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)) or 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            '{"process_id": "discretionary_benefit", "business_key": "K", "data": '
            + '{"a": ' * 600
            + "1"
            + "}" * 600
            + "}",
            422,
            None,
        ),
        (
            '{"process_id": "discretionary_benefit", "business_key": "K", "data": {"n": '
            + "9" * 100_000
            + "}}",
            422,
            "(body)",
        ),
        (
            '{"process_id": "discretionary_benefit", "business_key": "K\\u0000", "data": {}}',
            422,
            "business_key",
        ),
        (
            '{"process_id": "discretionary_benefit", "business_key": "K\\ud800", "data": {}}',
            422,
            "business_key",
        ),
        (
            '{"process_id": "discretionary_benefit", "business_key": "K", "data": {"note": "'
            + "x" * (5 * 1024 * 1024)
            + '"}}',
            413,
            "data.note",
        ),
        (
            '{"process_id": "discretionary_benefit", "business_key": "K", "data": {"x": NaN}}',
            422,
            "(body)",
        ),
    ],
    ids=["nested-600", "huge-number", "nul", "lone-surrogate", "5mb-text", "nan"],
)
def test_hostile_bodies_are_refused_with_the_field_named(designed, svc, body, status, field):
    answer = _start_raw(designed, body)

    assert answer.status_code == status, answer.data[:300]
    assert answer.mimetype == "application/problem+json"
    if field is not None:
        assert answer.json["errors"][0]["field"] == field
    assert _instances(svc) == 0


def test_a_key_with_a_nul_is_refused_too(designed, svc):
    answer = _start_raw(
        designed,
        '{"process_id": "discretionary_benefit", "business_key": "K", "data": {"a\\u0000": 1}}',
    )

    assert answer.status_code == 422
    assert "NUL" in answer.json["detail"]


def test_an_ordinary_body_still_starts_a_case(designed, svc):
    answer = _start_raw(
        designed,
        '{"process_id": "discretionary_benefit", "business_key": "K-1", "data": {"n": 12.5}}',
    )

    assert answer.status_code == 201
    assert _instances(svc) == 1
