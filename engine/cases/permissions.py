"""Who may do what with a case. One small module of rules so they can move as one into
engine/policy.py once that lands (see docs/cases.md)."""

from __future__ import annotations

from engine import policy
from engine.errors import CaseNotFound, Forbidden
from engine.identity.users import Principal
from engine.store.models import Case

# Reasons a case owner may close their own case with; every other reason is a supervisor's call.
OWNER_CLOSE_REASONS = frozenset({"withdrawn", "unreachable"})


def can_read(principal: Principal, case: Case) -> bool:
    """Staff who work cases, in the case's office; admins and the system anywhere."""
    if policy.sees_every_case(principal):
        return True
    return bool(principal.roles & policy.WORKER_ROLES) and principal.office == case.office


def require_readable(principal: Principal, case: Case | None, key: str) -> Case:
    """The case, or CaseNotFound when it does not exist or the caller may not see it."""
    if case is None or not can_read(principal, case):
        raise CaseNotFound(f"case {key!r} not found")
    return case


def require_may_open(principal: Principal) -> None:
    if not policy.may(principal, policy.Action.START_INSTANCE):
        raise Forbidden("only intake workers, caseworkers and supervisors open cases")


def supervises(principal: Principal, case: Case) -> bool:
    return policy.supervises_office(principal, case.office)


def require_may_close(principal: Principal, case: Case, reason: str, owner: str | None) -> None:
    """Supervisors of the office close for any reason; the case's owner only when the client
    withdrew or cannot be reached."""
    if supervises(principal, case):
        return
    if owner == principal.username and reason in OWNER_CLOSE_REASONS:
        return
    if owner == principal.username:
        raise Forbidden(
            f"a case owner may close only as {' or '.join(sorted(OWNER_CLOSE_REASONS))}"
        )
    raise Forbidden("only a supervisor of the office or the case owner can close this case")


def require_supervisor(principal: Principal, case: Case, what: str) -> None:
    if not supervises(principal, case):
        raise Forbidden(f"only a supervisor of the office can {what}")
