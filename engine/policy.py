"""Who may do what: the one place a role is compared.

Every rule is a pure function of the acting `Principal` and plain rows (tasks, instances, the
staff record of a person, their current absence); whatever data a rule needs is passed in, so
the API, the pages, the CLI and the commands ask the same question and get the same answer.
Refusals that carry a reason return the domain error to raise (or None), so a page can ask
"would this be accepted?" without trying it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

from engine import errors
from engine.statuses import TaskStatus

if TYPE_CHECKING:  # annotations only: engine.identity builds on this module's roles
    from engine.identity.users import Principal
    from engine.store.models import Absence, HumanTask, ProcessInstance


class Role(StrEnum):
    DESIGNER = "designer"
    INTAKE_WORKER = "intake_worker"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    PARTNER = "partner"  # a partner organization's token: it posts messages, nothing else
    SYSTEM = "system"  # the engine itself (scheduler, message routing) and trusted integrations
    # The province's centralized intake: posts hand-off messages that start processes, nothing else
    PROVINCIAL = "provincial"
    # An external-task worker's account: only /engine-rest (Camunda 7 compatible), only the
    # topics its token names (identity/worker_tokens.py), only its own office's tasks.
    WORKER = "worker"


def _names(*roles: Role) -> frozenset[str]:
    """Plain strings, so sets built from them print and serialize as they always did."""
    return frozenset(role.value for role in roles)


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
# What an identity provider may grant: people's roles (never `partner` or `system`).
STAFF_ROLES = frozenset(ROLES) - _names(Role.PARTNER, Role.SYSTEM, Role.PROVINCIAL, Role.WORKER)
# A role is the queue of the same key: a user holding `caseworker` works queue `caseworker`.
# These are the roles people work queues from day to day (inbox tabs, team board, covers).
QUEUE_ROLES = _names(Role.INTAKE_WORKER, Role.CASEWORKER, Role.SUPERVISOR)
# Roles that do casework: the inbox and task pages, starting and following cases.
WORKER_ROLES = _names(Role.INTAKE_WORKER, Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN)


class Action(StrEnum):
    """What a principal may do regardless of which office or object it concerns."""

    WORK = "work"  # inbox, task pages, case owners
    SUPERVISE = "supervise"  # team, queues, absences, reassignment, reports, closures
    DESIGN = "design"  # deploy, validate, move cases between versions
    START_INSTANCE = "start_instance"
    MESSAGE_INSTANCE = "message_instance"  # POST /api/instances/{id}/messages
    SEND_MESSAGE = "send_message"  # POST /api/messages, routed by correlation
    START_BY_MESSAGE = "start_by_message"  # POST /api/messages that nobody waits for
    RETRY_INSTANCE = "retry_instance"
    MANAGE_DELIVERY = "manage_delivery"  # the undelivered list, the partner directory
    PRINT_LETTERS = "print_letters"  # the daily letters to print and mail
    SEE_OUTCOMES = "see_outcomes"  # the outcomes report (counts and CSV)
    ANSWER_SURVEY = "answer_survey"  # record a client's closure-survey answers
    SEND_SIGNAL = "send_signal"  # POST /api/signals: a broadcast to an office's waiting cases


GRANTS: Mapping[Action, frozenset[str]] = {
    Action.WORK: WORKER_ROLES,
    Action.SUPERVISE: _names(Role.SUPERVISOR, Role.ADMIN),
    Action.DESIGN: _names(Role.DESIGNER, Role.ADMIN),
    Action.START_INSTANCE: WORKER_ROLES | _names(Role.SYSTEM, Role.WORKER),
    Action.MESSAGE_INSTANCE: WORKER_ROLES | _names(Role.SYSTEM),
    Action.SEND_MESSAGE: WORKER_ROLES
    | _names(Role.PARTNER, Role.SYSTEM, Role.PROVINCIAL, Role.WORKER),
    Action.START_BY_MESSAGE: _names(Role.PROVINCIAL, Role.SYSTEM),
    Action.RETRY_INSTANCE: WORKER_ROLES,
    Action.MANAGE_DELIVERY: _names(Role.SUPERVISOR, Role.ADMIN),
    Action.PRINT_LETTERS: _names(Role.SUPERVISOR, Role.ADMIN, Role.INTAKE_WORKER),
    Action.SEE_OUTCOMES: _names(Role.SUPERVISOR, Role.ADMIN),
    # the office's portal relays a client's answers; staff type in a mailed-back form
    Action.ANSWER_SURVEY: WORKER_ROLES | _names(Role.SYSTEM),
    Action.SEND_SIGNAL: _names(Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM),
}


def may(principal: Principal, action: Action) -> bool:
    return bool(principal.roles & GRANTS[action])


def is_admin(principal: Principal) -> bool:
    """Admins act in every office and see everything."""
    return Role.ADMIN in principal.roles


def is_partner_only(principal: Principal) -> bool:
    """A partner organization's (or the province's) token: it may post messages, nothing else."""
    return bool(principal.roles & _names(Role.PARTNER, Role.PROVINCIAL)) and not principal.roles & (
        WORKER_ROLES | _names(Role.DESIGNER)
    )


def home(principal: Principal) -> Literal["design", "supervise", "work"]:
    """Where each kind of user starts the day."""
    if Role.DESIGNER in principal.roles and not may(principal, Action.WORK):
        return "design"
    if Role.SUPERVISOR in principal.roles and not is_admin(principal):
        return "supervise"
    return "work"


# -- offices ----------------------------------------------------------------------------------


def reaches_office(principal: Principal, office: str) -> bool:
    """Things of another office are not even seen, except by admins."""
    return is_admin(principal) or principal.office == office


def sees_every_office(principal: Principal) -> bool:
    return is_admin(principal)


def supervises_office(principal: Principal, office: str) -> bool:
    return is_admin(principal) or (
        Role.SUPERVISOR in principal.roles and principal.office == office
    )


def office_in_scope(principal: Principal, office: str | None) -> str | None:
    """The office a supervisory view covers: the one named, else the caller's own (None, every
    office, for admins)."""
    if office:
        return office
    return None if is_admin(principal) else principal.office


def office_refusal(principal: Principal, office: str | None) -> errors.CasewayError | None:
    """Naming another office in a supervisory request is refused (403), not hidden."""
    if office and not reaches_office(principal, office):
        return errors.Forbidden("supervisors act on their own office only")
    return None


def is_worker_only(principal: Principal) -> bool:
    """An external-task worker's token: it speaks the Camunda 7 API under /engine-rest only."""
    return Role.WORKER in principal.roles and not principal.roles & (
        WORKER_ROLES | _names(Role.DESIGNER, Role.PARTNER, Role.SYSTEM)
    )


def fetch_refusal(
    principal: Principal, token_topics: Collection[str], topics: Collection[str]
) -> errors.CasewayError | None:
    """A worker fetches only the topics its token names ("*": any), in its own office."""
    if Role.WORKER not in principal.roles or principal.office == "*":
        return errors.Forbidden("only a worker token of one office fetches external tasks")
    if "*" in token_topics:
        return None
    outside = sorted(set(topics) - set(token_topics))
    if outside:
        return errors.Forbidden(f"this token may not fetch topic(s) {', '.join(outside)}")
    return None


def correlation_office(principal: Principal) -> str | None:
    """Where a correlated message may land: anywhere for partners, the engine and admins, the
    sender's office for staff."""
    if principal.roles & _names(Role.PARTNER, Role.SYSTEM, Role.ADMIN):
        return None
    if Role.PROVINCIAL in principal.roles and principal.office == "*":
        return None
    return principal.office


def signal_refusal(principal: Principal, office: str) -> errors.CasewayError | None:
    """A signal reaches every waiting case of one office, so only supervisors (their own
    office), admins and the engine may send one."""
    if not may(principal, Action.SEND_SIGNAL):
        return errors.Forbidden("only supervisors and admins send signals")
    if office != principal.office and not principal.roles & _names(Role.ADMIN, Role.SYSTEM):
        return errors.Forbidden("supervisors signal their own office only")
    return None


def message_start_office(principal: Principal, named: str | None) -> str | None:
    """The office a message-started process belongs to: the sender's own (a province token
    issued for one office), else the office the message names (a province-wide token); None
    when neither says."""
    if principal.office != "*":
        return principal.office
    return named or None


# -- queues and tasks -------------------------------------------------------------------------


def holds_queue(roles: Collection[str], queue: str) -> bool:
    """The one definition of queue membership: holding the role of the queue's key."""
    return queue in roles


def held_queues(principal: Principal) -> frozenset[str]:
    """The queue keys a principal holds: each role's own key, and the queues the queue table
    gives their roles or them by name (Principal.queues)."""
    return frozenset(principal.roles) | principal.queues


def queue_tabs(principal: Principal) -> tuple[str, ...]:
    """The queues a user's inbox shows, in a fixed order (admins: every role queue), then the
    queue table's queues they hold."""
    roles = tuple(
        role.value
        for role in Role
        if role in QUEUE_ROLES and (is_admin(principal) or holds_queue(principal.roles, role))
    )
    return roles + tuple(sorted(principal.queues - set(roles)))


def is_candidate(task: HumanTask, username: str) -> bool:
    """Named on the task itself (potentialOwner users, camunda:candidateUsers)."""
    return f",{username}," in (task.candidate_users or "")


# Who may list and change the queue table (queue key, titles, roles and staff, office).
def may_manage_queues(principal: Principal) -> bool:
    return may(principal, Action.DESIGN)


def may_list_queues(principal: Principal) -> bool:
    return may(principal, Action.DESIGN) or may(principal, Action.SUPERVISE)


def sees_every_task(principal: Principal) -> bool:
    return is_admin(principal)


def sees_office_tasks(principal: Principal) -> bool:
    """Supervisors see every task of their office, whatever its queue."""
    return Role.SUPERVISOR in principal.roles


def may_see_task(principal: Principal, task: HumanTask) -> bool:
    if sees_every_task(principal) or task.assignee == principal.username:
        return True
    if is_candidate(task, principal.username):
        return True
    if task.office != principal.office:
        return False
    return sees_office_tasks(principal) or task.queue in held_queues(principal)


def may_take_from_queue(principal: Principal, task: HumanTask) -> bool:
    return (
        is_admin(principal)
        or task.queue in held_queues(principal)
        or is_candidate(task, principal.username)
        or Role.SUPERVISOR in principal.roles
    )


def is_admin_only(roles: Collection[str]) -> bool:
    """An IT admin who works no queue: never chosen as a second pair of eyes by default."""
    return Role.ADMIN in roles and not set(roles) & QUEUE_ROLES


def four_eyes_excluded(task: HumanTask, username: str) -> bool:
    """Four eyes: the person who requested may not approve."""
    return username in (task.excluded_users or "").split(",")


def supervises_task(principal: Principal, task: HumanTask) -> bool:
    return supervises_office(principal, task.office)


def claim_refusal(principal: Principal, task: HumanTask) -> errors.CasewayError | None:
    """Why `principal` may not claim (or work on) the task; None when they may. Claiming one's
    own task again is accepted and changes nothing."""
    if task.status != TaskStatus.OPEN:
        return errors.TaskConflict(f"task is {task.status}")
    if four_eyes_excluded(task, principal.username):
        return errors.TaskForbidden("four eyes: you completed an earlier step of this decision")
    if task.assignee == principal.username:
        return None
    if task.assignee is not None:
        return errors.TaskConflict(f"task is already claimed by {task.assignee}")
    if not may_take_from_queue(principal, task):
        return errors.TaskForbidden("you do not work this task's queue")
    return None


def complete_refusal(principal: Principal, task: HumanTask) -> errors.CasewayError | None:
    """Why `principal` may not complete the task; None when they may. An unclaimed task is
    claimed by its completer first (claim_refusal decides that). A task someone else holds is a
    conflict, 409, as claiming it is: the same state answers the same code, whichever button."""
    if task.status != TaskStatus.OPEN:
        return errors.TaskConflict(f"task is {task.status}")
    if task.assignee is not None and task.assignee != principal.username:
        return errors.TaskConflict(f"task is claimed by {task.assignee}")
    return None


def release_refusal(principal: Principal, task: HumanTask) -> errors.CasewayError | None:
    if task.status != TaskStatus.OPEN:
        return errors.TaskConflict(f"task is {task.status}")
    if task.assignee is None:
        return errors.TaskConflict("task is not claimed")
    if task.assignee != principal.username and not supervises_task(principal, task):
        return errors.TaskForbidden("only the assignee or a supervisor can release this task")
    return None


def assign_refusal(principal: Principal, task: HumanTask) -> errors.CasewayError | None:
    """Whether `principal` may hand this task to someone at all (see assignee_problem for who)."""
    if not supervises_task(principal, task):
        return errors.TaskForbidden("only a supervisor of this office can assign tasks")
    if task.status != TaskStatus.OPEN:
        return errors.TaskConflict(f"task is {task.status}")
    return None


class StaffRecord(Protocol):
    """What the rules read of a person (engine.supervision.people.Staff is one)."""

    @property
    def office(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def active(self) -> bool: ...


def assignee_problem(task: HumanTask, staff: StaffRecord | None, username: str) -> str | None:
    """Why `username` cannot be given this task, or None when they can: active, holding the
    task's queue, in its office (admins: any), and not excluded by four eyes."""
    if staff is None or not staff.active:
        return f"no active user {username!r}"
    if not holds_queue(staff.roles, task.queue) and not is_candidate(task, username):
        return f"{username} does not hold role {task.queue!r} for this queue"
    if staff.office != task.office and Role.ADMIN not in staff.roles:
        return f"{username} works in office {staff.office!r}, not {task.office!r}"
    if task.excluded_users and four_eyes_excluded(task, username):
        return f"four eyes: {username} completed an earlier step of this decision"
    return None


def absence_problem(username: str, absence: Absence | None) -> str | None:
    """Work handed to someone who is away would sit untouched: refuse it, name the cover."""
    if absence is None:
        return None
    cover = f"; their cover is {absence.cover}" if absence.cover else ""
    return f"{username} is away until {absence.ends_at.isoformat()}{cover}"


# -- cases (process instances) ----------------------------------------------------------------


def sees_every_case(principal: Principal) -> bool:
    return is_admin(principal) or Role.SYSTEM in principal.roles


def sees_office_cases(principal: Principal) -> bool:
    return Role.SUPERVISOR in principal.roles


def sees_case_itself(principal: Principal, instance: ProcessInstance) -> bool:
    """Visible without looking at its tasks: everything for admins and the engine, the office's
    cases for its supervisors, one's own cases for whoever started them."""
    if sees_every_case(principal):
        return True
    return instance.office == principal.office and (
        sees_office_cases(principal) or instance.started_by == principal.username
    )


def may_view_instance(
    principal: Principal, instance: ProcessInstance, tasks: Iterable[HumanTask]
) -> bool:
    """Whoever may see one of its tasks may see the case too (in another office: a task handed
    to them, e.g. as cover), so a task's case link never answers 404. `tasks` is read only
    when the case itself does not decide: pass a lazy iterable."""
    return sees_case_itself(principal, instance) or any(may_see_task(principal, t) for t in tasks)


# -- people -----------------------------------------------------------------------------------


def user_refusal(
    principal: Principal, username: str, staff: StaffRecord | None
) -> errors.CasewayError | None:
    """Requests about a worker (absences): oneself, or a person a supervisor of theirs manages;
    other offices' staff are not seen."""
    visible = staff is not None and (
        is_admin(principal) or principal.username == username or staff.office == principal.office
    )
    if not visible:
        return errors.NotFound(f"user {username!r} not found")
    if principal.username != username and not may(principal, Action.SUPERVISE):
        return errors.Forbidden("only supervisors can do this")
    return None


def cover_queues(worker_roles: Collection[str]) -> frozenset[str]:
    """The queues a cover must share with the absent worker (at least one)."""
    return QUEUE_ROLES.intersection(worker_roles) or _names(Role.CASEWORKER)


def may_cover(worker_roles: Collection[str], cover_roles: Collection[str]) -> bool:
    return bool(cover_queues(worker_roles).intersection(cover_roles))


def works_queues(roles: Collection[str]) -> bool:
    """Whether a person receives work from queues (can be picked as an assignee or a cover)."""
    return bool(QUEUE_ROLES.intersection(roles))


# The queue whose tasks follow the case's owner (continuity of care).
CASE_QUEUE = Role.CASEWORKER.value


def owns_cases(roles: Collection[str]) -> bool:
    """Only caseworkers carry cases (continuity of care)."""
    return Role.CASEWORKER in roles


# -- client cases (the case record: client block, notes, attachments, incidents) --------------

# Reasons a case owner may close their own case with; every other reason is a supervisor's call.
OWNER_CLOSE_REASONS = frozenset({"withdrawn", "unreachable"})


def may_read_client_case(principal: Principal, office: str) -> bool:
    """Staff who work cases, in the case's office; admins and the engine anywhere. Designers
    and partners never see client data."""
    if sees_every_case(principal):
        return True
    return may(principal, Action.WORK) and principal.office == office


def may_open_cases(principal: Principal) -> bool:
    return may(principal, Action.START_INSTANCE)


def searches_every_office(principal: Principal) -> bool:
    return sees_every_case(principal)


def close_refusal(
    principal: Principal, office: str, reason: str, owner: str | None
) -> errors.CasewayError | None:
    """Supervisors of the office close for any reason; the case's owner only when the client
    withdrew or cannot be reached."""
    if supervises_office(principal, office):
        return None
    if owner == principal.username and reason in OWNER_CLOSE_REASONS:
        return None
    if owner == principal.username:
        allowed = " or ".join(sorted(OWNER_CLOSE_REASONS))
        return errors.Forbidden(f"a case owner may close only as {allowed}")
    return errors.Forbidden("only a supervisor of the office or the case owner can close this case")


def may_fix_case_data(principal: Principal) -> bool:
    """Correcting a broken case's data and reading incidents: supervisors and admins."""
    return is_admin(principal) or Role.SUPERVISOR in principal.roles
