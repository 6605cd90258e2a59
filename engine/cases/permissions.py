"""Who may do what with a case, as errors to raise: the rules themselves are engine.policy's."""

from __future__ import annotations

from engine import policy
from engine.errors import CaseNotFound, Forbidden
from engine.identity.users import Principal
from engine.store.models import Case

OWNER_CLOSE_REASONS = policy.OWNER_CLOSE_REASONS


def can_read(principal: Principal, case: Case) -> bool:
    return policy.may_read_client_case(principal, case.office)


def require_readable(principal: Principal, case: Case | None, key: str) -> Case:
    """The case, or CaseNotFound when it does not exist or the caller may not see it."""
    if case is None or not can_read(principal, case):
        raise CaseNotFound(f"case {key!r} not found")
    return case


def require_may_open(principal: Principal) -> None:
    if not policy.may_open_cases(principal):
        raise Forbidden("only intake workers, caseworkers and supervisors open cases")


def supervises(principal: Principal, case: Case) -> bool:
    return policy.supervises_office(principal, case.office)


def require_may_close(principal: Principal, case: Case, reason: str, owner: str | None) -> None:
    refusal = policy.close_refusal(principal, case.office, reason, owner)
    if refusal is not None:
        raise refusal


def require_supervisor(principal: Principal, case: Case, what: str) -> None:
    if not supervises(principal, case):
        raise Forbidden(f"only a supervisor of the office can {what}")
