"""engine.policy: who may do what, as tables of role × question → answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import errors, policy
from engine.identity.users import Principal
from engine.policy import Action, Role
from engine.store.models import Absence, HumanTask, ProcessInstance

ROLE_ORDER = (
    "designer",
    "intake_worker",
    "caseworker",
    "supervisor",
    "admin",
    "partner",
    "system",
    "provincial",
    "worker",
)

# fmt: off
MAY: dict[Action, str] = {
    #                      dsg itk cwk sup adm ptn sys prv wkr
    Action.WORK:           "-   y   y   y   y   -   -   -   -",
    Action.SUPERVISE:      "-   -   -   y   y   -   -   -   -",
    Action.DESIGN:         "y   -   -   -   y   -   -   -   -",
    Action.START_INSTANCE: "-   y   y   y   y   -   y   -   y",
    Action.MESSAGE_INSTANCE: "- y   y   y   y   -   y   -   -",
    Action.SEND_MESSAGE:   "-   y   y   y   y   y   y   y   y",
    Action.START_BY_MESSAGE: "- -   -   -   -   -   y   y   -",
    Action.RETRY_INSTANCE: "-   y   y   y   y   -   -   -   -",
    Action.MANAGE_DELIVERY: "-  -   -   y   y   -   -   -   -",
    Action.PRINT_LETTERS:  "-   y   -   y   y   -   -   -   -",
    Action.SEE_OUTCOMES:   "-   -   -   y   y   -   -   -   -",
    Action.ANSWER_SURVEY:  "-   y   y   y   y   -   y   -   -",
    Action.SEND_SIGNAL:    "-   -   -   y   y   -   y   -   -",
}
# fmt: on


def _as(role: str, office: str = "sudbury", username: str = "me") -> Principal:
    return Principal(username, office, frozenset({role}))


def _task(**fields: object) -> HumanTask:
    defaults: dict[str, object] = {
        "status": "open",
        "queue": "caseworker",
        "office": "sudbury",
        "assignee": None,
        "excluded_users": None,
    }
    return HumanTask(**{**defaults, **fields})


def test_the_roles_keep_their_stored_names() -> None:
    assert policy.ROLES == ROLE_ORDER
    assert Role.CASEWORKER == "caseworker" and f"{Role.ADMIN}" == "admin"


def test_every_action_is_in_the_table() -> None:
    assert set(MAY) == set(Action)


@pytest.mark.parametrize("action", list(Action))
def test_who_may_do_what(action: Action) -> None:
    allowed = [flag == "y" for flag in MAY[action].split()]

    answers = [policy.may(_as(role), action) for role in ROLE_ORDER]

    assert answers == allowed


# fmt: off
SEES_TASK = {
    # task                                     dsg itk cwk sup adm   (home office; then ottawa)
    "caseworker queue, home office":          ("-   -   y   y   y", "-   -   -   -   y"),
    "intake queue, home office":              ("-   y   -   y   y", "-   -   -   -   y"),
    "held by me, other office":               ("y   y   y   y   y", "y   y   y   y   y"),
}
# fmt: on
TASKS = {
    "caseworker queue, home office": _task(),
    "intake queue, home office": _task(queue="intake_worker"),
    "held by me, other office": _task(office="ottawa", assignee="me"),
}


@pytest.mark.parametrize("subject", list(SEES_TASK))
def test_who_sees_a_task(subject: str) -> None:
    home, other = SEES_TASK[subject]
    expected = [f == "y" for f in (home + " " + other).split()]
    callers = [_as(r) for r in ROLE_ORDER[:5]] + [_as(r, "ottawa") for r in ROLE_ORDER[:5]]

    answers = [policy.may_see_task(c, TASKS[subject]) for c in callers]

    assert answers == expected


@pytest.mark.parametrize(
    ("task", "caller", "refusal"),
    [
        (_task(), _as("caseworker"), None),
        (_task(assignee="me"), _as("caseworker"), None),  # again: accepted, changes nothing
        (_task(assignee="cole"), _as("caseworker"), errors.TaskConflict),
        (_task(status="completed"), _as("caseworker"), errors.TaskConflict),
        (_task(excluded_users="me"), _as("supervisor"), errors.TaskForbidden),
        (_task(queue="intake_worker"), _as("caseworker"), errors.TaskForbidden),
        (_task(queue="intake_worker"), _as("supervisor"), None),
    ],
)
def test_who_may_claim(
    task: HumanTask, caller: Principal, refusal: type[errors.CasewayError] | None
) -> None:
    answer = policy.claim_refusal(caller, task)

    assert type(answer) is refusal if refusal else answer is None


@pytest.mark.parametrize(
    ("task", "caller", "refusal"),
    [
        (_task(), _as("caseworker"), None),  # unclaimed: claim_refusal decides
        (_task(assignee="me"), _as("caseworker"), None),
        (_task(assignee="cole"), _as("caseworker"), errors.TaskConflict),  # as claiming: 409
        (_task(assignee="cole"), _as("supervisor"), errors.TaskConflict),
        (_task(status="completed", assignee="me"), _as("caseworker"), errors.TaskConflict),
    ],
)
def test_who_may_complete(
    task: HumanTask, caller: Principal, refusal: type[errors.CasewayError] | None
) -> None:
    answer = policy.complete_refusal(caller, task)

    assert type(answer) is refusal if refusal else answer is None


@pytest.mark.parametrize(
    ("caller", "refusal"),
    [
        (_as("caseworker", username="cole"), None),
        (_as("caseworker"), errors.TaskForbidden),
        (_as("supervisor"), None),
        (_as("supervisor", "ottawa"), errors.TaskForbidden),
        (_as("admin", "ottawa"), None),
    ],
)
def test_who_may_release(caller: Principal, refusal: type[errors.CasewayError] | None) -> None:
    answer = policy.release_refusal(caller, _task(assignee="cole"))

    assert type(answer) is refusal if refusal else answer is None


@pytest.mark.parametrize(
    ("role", "office", "allowed"),
    [
        ("supervisor", "sudbury", True),
        ("supervisor", "ottawa", False),
        ("admin", "ottawa", True),
        ("caseworker", "sudbury", False),
    ],
)
def test_who_may_assign(role: str, office: str, allowed: bool) -> None:
    assert (policy.assign_refusal(_as(role, office), _task()) is None) is allowed


class _Staff:
    def __init__(self, office: str, *roles: str, active: bool = True) -> None:
        self.office, self.roles, self.active = office, frozenset(roles), active


@pytest.mark.parametrize(
    ("staff", "problem"),
    [
        (_Staff("sudbury", "caseworker"), None),
        (_Staff("ottawa", "caseworker", "admin"), None),
        (None, "no active user"),
        (_Staff("sudbury", "caseworker", active=False), "no active user"),
        (_Staff("sudbury", "intake_worker"), "does not hold role"),
        (_Staff("ottawa", "caseworker"), "works in office"),
    ],
)
def test_who_may_be_given_a_task(staff: _Staff | None, problem: str | None) -> None:
    answer = policy.assignee_problem(_task(), staff, "cole")

    assert answer is None if problem is None else problem in (answer or "")


def test_four_eyes_excludes_whoever_did_the_earlier_step() -> None:
    task = _task(excluded_users="ira,cole")

    assert "four eyes" in (
        policy.assignee_problem(task, _Staff("sudbury", "caseworker"), "cole") or ""
    )


def test_someone_away_is_refused_and_their_cover_named() -> None:
    moment = datetime(2027, 3, 1, tzinfo=UTC)
    absence = Absence(username="cole", ends_at=moment, cover="casey")

    assert policy.absence_problem("cole", None) is None
    assert policy.absence_problem("cole", absence) == (
        "cole is away until 2027-03-01T00:00:00+00:00; their cover is casey"
    )


# fmt: off
SEES_CASE = {
    # case                               dsg itk cwk sup adm  (home office; then ottawa)
    "started by me":                    ("y   y   y   y   y", "-   -   -   -   y"),
    "started by cole":                  ("-   -   -   y   y", "-   -   -   -   y"),
}
# fmt: on


@pytest.mark.parametrize("subject", list(SEES_CASE))
def test_who_sees_a_case_without_its_tasks(subject: str) -> None:
    home, other = SEES_CASE[subject]
    expected = [f == "y" for f in (home + " " + other).split()]
    started_by = "me" if subject == "started by me" else "cole"
    case = ProcessInstance(office="sudbury", started_by=started_by)
    callers = [_as(r) for r in ROLE_ORDER[:5]] + [_as(r, "ottawa") for r in ROLE_ORDER[:5]]

    assert [policy.may_view_instance(c, case, []) for c in callers] == expected


def test_a_task_i_may_see_opens_its_case() -> None:
    case = ProcessInstance(office="sudbury", started_by="cole")

    assert policy.may_view_instance(_as("caseworker"), case, [_task()])
    assert not policy.may_view_instance(_as("intake_worker"), case, [_task()])


def test_the_engine_sees_every_case() -> None:
    case = ProcessInstance(office="ottawa", started_by="olive")

    assert policy.may_view_instance(_as("system", "*"), case, [])


@pytest.mark.parametrize(
    ("roles", "tabs"),
    [
        ({"caseworker"}, ("caseworker",)),
        ({"supervisor", "intake_worker"}, ("intake_worker", "supervisor")),
        ({"admin"}, ("intake_worker", "caseworker", "supervisor")),
        ({"designer"}, ()),
    ],
)
def test_the_queues_an_inbox_shows(roles: set[str], tabs: tuple[str, ...]) -> None:
    assert policy.queue_tabs(Principal("me", "sudbury", frozenset(roles))) == tabs


@pytest.mark.parametrize(
    ("worker", "cover", "allowed"),
    [
        ({"caseworker"}, {"caseworker"}, True),
        ({"caseworker"}, {"intake_worker"}, False),
        ({"intake_worker", "caseworker"}, {"intake_worker"}, True),
        ({"admin"}, {"caseworker"}, True),  # no queue role: a caseworker covers
    ],
)
def test_who_may_cover(worker: set[str], cover: set[str], allowed: bool) -> None:
    assert policy.may_cover(worker, cover) is allowed


@pytest.mark.parametrize(
    ("role", "office", "refused"),
    [("supervisor", "sudbury", False), ("supervisor", "ottawa", True), ("admin", "ottawa", False)],
)
def test_naming_another_office_is_refused_except_for_admins(
    role: str, office: str, refused: bool
) -> None:
    assert (policy.office_refusal(_as(role), office) is not None) is refused


def test_a_partner_token_is_only_a_partner() -> None:
    assert policy.is_partner_only(_as("partner"))
    assert not policy.is_partner_only(Principal("me", "x", frozenset({"partner", "caseworker"})))


def test_a_provincial_token_only_posts_messages() -> None:
    province = _as("provincial", office="*")

    assert policy.is_partner_only(province)
    assert policy.correlation_office(province) is None
    assert policy.correlation_office(_as("provincial")) == "sudbury"
    assert policy.message_start_office(province, "ottawa") == "ottawa"
    assert policy.message_start_office(_as("provincial"), "ottawa") == "sudbury"
    assert "provincial" not in policy.STAFF_ROLES
