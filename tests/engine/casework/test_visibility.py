"""engine.casework.visibility: the case list's SQL says what engine.policy says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import policy
from engine.casework import visibility
from engine.services import Services
from engine.store.models import ProcessInstance
from tests.conftest import DEMO
from tests.engine.casework.conftest import start, who

pytestmark = pytest.mark.usefixtures("review")


@pytest.mark.parametrize("username", sorted(DEMO))
def test_the_case_list_shows_exactly_the_cases_the_policy_lists(
    svc: Services, username: str
) -> None:
    start(svc, "CASE-1", by="casey")
    start(svc, "CASE-2", by="sam")
    start(svc, "CASE-3", by="olive")
    principal = who(username)

    with svc.readers() as session:
        every = session.scalars(select(ProcessInstance)).all()
        listed = session.scalars(
            visibility.listed_instances(select(ProcessInstance), principal)
        ).all()
        expected = {i.id for i in every if policy.sees_case_itself(principal, i)}

    assert {i.id for i in listed} == expected


def test_a_case_reached_through_its_task_opens_but_is_not_listed(svc: Services) -> None:
    instance_id = start(svc, by="casey")

    with svc.readers() as session:
        instance = session.get_one(ProcessInstance, instance_id)
        opens = visibility.can_view_instance(session, who("cole"), instance)
        listed = session.scalars(
            visibility.listed_instances(select(ProcessInstance.id), who("cole"))
        ).all()

    assert opens and listed == []
