"""Which cases (process instances) a principal may open, and which the case list shows: engine.
policy's rules, given the rows they read, and as a SQL condition for the list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select, true
from sqlalchemy.orm import Session

from engine import policy
from engine.identity.users import Principal
from engine.store.models import HumanTask, ProcessInstance


def can_view_instance(session: Session, principal: Principal, instance: ProcessInstance) -> bool:
    return policy.may_view_instance(principal, instance, _tasks_of(session, instance.id))


def _tasks_of(session: Session, instance_id: str) -> Iterator[HumanTask]:
    """A generator: the query runs only if the policy asks for the tasks."""
    yield from session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))


def listed_instances(query: Select[Any], principal: Principal) -> Select[Any]:
    return query.where(listed_instance_condition(principal))


def listed_instance_condition(principal: Principal) -> ColumnElement[bool]:
    """policy.sees_case_itself as a SQL condition over process_instance: the case list shows
    the caller's own cases; one reached only through a task opens from it but is not listed."""
    if policy.sees_every_case(principal):
        return true()
    own_office = ProcessInstance.office == principal.office
    if policy.sees_office_cases(principal):
        return own_office
    return and_(own_office, ProcessInstance.started_by == principal.username)
