"""The world the authorization matrix runs in: staff of two offices and a partner, tokens that
work and tokens that must not, the subjects each cell acts on, and one request builder per API
route (`ENDPOINTS`). The expected answers live in test_authz_matrix.py.

Subjects are named relative to the home office (sudbury): "queue" is a sudbury caseworker task
nobody holds, "ottawa" one in the other office, "mine" belongs to whoever is calling (in their
own office). Cells that change something act on subjects made for them alone, so no cell can
change another's outcome; read-only cells share one subject per kind.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.app import create_app
from engine.cases.attachments import add_attachment, read_upload
from engine.cases.notes import add_note
from engine.casework import commands
from engine.casework.work_queues import create_queue
from engine.clock import FakeClock
from engine.config import REPO_ROOT, Settings
from engine.deadlines.closures import add_closure
from engine.definitions.compile import SourceFile, read_paths
from engine.delivery.partners import create_partner
from engine.delivery.secrets import SecretBox
from engine.identity.users import Principal, add_user, issue_token, revoke_tokens
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Case, CaseOwner, ClientLink, HumanTask, OutboxEntry, User
from engine.supervision.absences import AbsenceRequest, add_absence, end_absence
from handlers import HandlerError, HandlerRegistry

DIAGRAM = Path(__file__).resolve().parent / "authz.bpmn"
HOME, AWAY, PARTNERS = "sudbury", "ottawa", "partners"
PDF = b"%PDF-1.7\n%%EOF\n"

STAFF: dict[str, tuple[str, str]] = {
    "dana": (HOME, "designer"),
    "ira": (HOME, "intake_worker"),
    "casey": (HOME, "caseworker"),
    "cole": (HOME, "caseworker"),  # the colleague: holds "cole's" task, starts home cases
    "sam": (HOME, "supervisor"),
    "ada": (HOME, "admin"),
    "rex": (HOME, "caseworker"),  # every token revoked
    "dee": (HOME, "caseworker"),  # deactivated after the token was issued
    "odile": (AWAY, "designer"),
    "otto": (AWAY, "intake_worker"),
    "olive": (AWAY, "caseworker"),
    "oscar": (AWAY, "caseworker"),  # the colleague over there
    "omar": (AWAY, "supervisor"),
    "orla": (AWAY, "admin"),
    "pat": (PARTNERS, "partner"),
}
# Who starts the cases of an office that are not the caller's own.
STARTER = {HOME: "cole", AWAY: "oscar", PARTNERS: "pat"}
ADMIN = Principal("ada", HOME, frozenset({"admin"}))


@dataclass(frozen=True)
class Caller:
    """One column of the matrix: who calls, with which kind of token."""

    column: str
    username: str | None  # None: no Authorization header at all
    office: str

    @property
    def name(self) -> str:
        """The user a caller-relative subject ("mine", "self") belongs to."""
        return self.username or "casey"


CALLERS: tuple[Caller, ...] = (
    Caller("anonymous", None, HOME),
    Caller("revoked", "rex", HOME),
    Caller("expired", "casey", HOME),
    Caller("deactivated", "dee", HOME),
    Caller("partner", "pat", PARTNERS),
    Caller("designer", "dana", HOME),
    Caller("intake_worker", "ira", HOME),
    Caller("caseworker", "casey", HOME),
    Caller("supervisor", "sam", HOME),
    Caller("admin", "ada", HOME),
    Caller("designer@ottawa", "odile", AWAY),
    Caller("intake_worker@ottawa", "otto", AWAY),
    Caller("caseworker@ottawa", "olive", AWAY),
    Caller("supervisor@ottawa", "omar", AWAY),
    Caller("admin@ottawa", "orla", AWAY),
)
BY_COLUMN = {caller.column: caller for caller in CALLERS}

# Two versions of a tiny process, so designers have something to (dry-run) migrate.
MOVING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_moving" targetNamespace="https://caseway.example/tests">
  <bpmn:process id="authz_moving" name="{name}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_cw" name="Caseworker">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>work</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _always_fails(ctx: Any) -> None:
    raise HandlerError("the partner system is down")


@dataclass(frozen=True)
class Call:
    """The request one cell sends (the method comes from the endpoint)."""

    path: str
    json: Any = None
    upload: bool = False  # multipart `file` part with DIAGRAM
    document: bytes | None = None  # multipart `file` part with these bytes (an attachment)


@dataclass
class World:
    app: Flask
    svc: Services
    tokens: dict[str, str] = field(default_factory=dict)
    instance_of: dict[str, str] = field(default_factory=dict)  # task id → instance id
    key_of: dict[str, str] = field(default_factory=dict)  # instance id → business key
    _shared: dict[tuple[str, ...], str] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def build(cls, database_url: str) -> World:
        registry = HandlerRegistry()
        registry.register("authz_always_fails", _always_fails)
        settings = Settings(
            database_url=database_url,
            forms_dir=REPO_ROOT / "forms",
            secret_key="test-secret",
            scheduler_enabled=False,
        )
        svc = Services.build(settings, clock=FakeClock(), registry=registry)
        app = create_app(services=svc)
        app.config["TESTING"] = True
        world = cls(app, svc)
        world._seed()
        return world

    def close(self) -> None:
        self.svc.engine.dispose()

    # -- requests ---------------------------------------------------------------------------

    def send(self, method: str, caller: Caller, call: Call) -> Any:
        headers = {}
        if caller.column in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[caller.column]}"
        client = self.app.test_client()
        if call.document is not None:
            files = {"file": [(io.BytesIO(call.document), "letter.pdf")]}
            return client.open(
                call.path,
                method=method,
                headers=headers,
                data=files,
                content_type="multipart/form-data",
            )
        if call.upload:
            files = {"file": [(io.BytesIO(DIAGRAM.read_bytes()), DIAGRAM.name)]}
            return client.open(
                call.path,
                method=method,
                headers=headers,
                data=files,
                content_type="multipart/form-data",
            )
        return client.open(call.path, method=method, headers=headers, json=call.json)

    # -- subjects ---------------------------------------------------------------------------

    def serial(self) -> int:
        return next(self._serial)

    def task(self, kind: str, caller: Caller, *, fresh: bool) -> str:
        """A task: "queue" and "intake" (home, nobody holds them), "cole's", "ottawa",
        "oscar's", or "mine" (held by the caller, in the caller's office)."""
        holder = {"mine": caller.name, "cole's": "cole", "oscar's": "oscar"}.get(kind)
        office = {"ottawa": AWAY, "oscar's": AWAY, "mine": caller.office}.get(kind, HOME)
        queue = "intake_worker" if kind == "intake" else "caseworker"
        if kind not in ("queue", "intake", "cole's", "ottawa", "oscar's", "mine"):
            raise KeyError(kind)
        return self._once(
            ("task", kind, holder or "", office), fresh, self._task, office, queue, holder
        )

    def _task(self, office: str, queue: str, holder: str | None) -> str:
        instance_id = self.start("authz_case", office, STARTER[office])
        with transaction(self.svc.sessions) as session:
            task = session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id, HumanTask.queue == queue
                )
            ).one()
            if holder is not None:
                task.assignee, task.claimed_by = holder, holder
                task.claimed_at = self.svc.clock.now()
            self.instance_of[task.id] = instance_id
            return task.id

    def instance(self, kind: str, caller: Caller, *, broken: bool, fresh: bool) -> str:
        """A case: "mine" (started by the caller, no human task), "case" (home, with a
        caseworker and an intake task), "quiet" (home, no human task) or "ottawa" (a case
        over there). Waiting for message "reply", or (`broken`) stopped on an incident."""
        busy, quiet = (
            ("authz_broken", "authz_broken_quiet") if broken else ("authz_case", "authz_quiet")
        )
        process, office, starter = {
            "mine": (quiet, caller.office, caller.name),
            "case": (busy, HOME, STARTER[HOME]),
            "quiet": (quiet, HOME, STARTER[HOME]),
            "ottawa": (busy, AWAY, STARTER[AWAY]),
        }[kind]
        return self._once(
            ("instance", process, office, starter), fresh, self.start, process, office, starter
        )

    def start(self, process_id: str, office: str, starter: str, key: str | None = None) -> str:
        """Start a case through the engine's own command, as `starter` would have."""
        who = Principal(starter, office, frozenset({"system"}))
        key = key or f"AUTHZ-{self.serial()}"
        request = commands.StartRequest(process_id, key, {"ref": key})
        instance_id = commands.start_instance(self.svc, who, request)
        self.key_of[instance_id] = key
        return instance_id

    def waiting_ref(self, office: str) -> str:
        """The correlation value of a fresh case in `office` waiting for message "reply"."""
        key = f"AUTHZ-{self.serial()}"
        self.start("authz_quiet", office, STARTER[office], key)
        return key

    def case_key(self, *, fresh: bool) -> str:
        """The business key of a home case (started by cole, nobody owns it yet)."""

        def make() -> str:
            key = f"AUTHZ-CASE-{self.serial()}"
            self.start("authz_case", HOME, STARTER[HOME], key)
            return key

        return self._once(("case",), fresh, make)

    def client_link(self) -> str:
        """A self-service link on a home task (revoking twice answers the same)."""

        def make() -> str:
            task_id = self.task("queue", CALLERS[0], fresh=False)
            now = self.svc.clock.now()
            with transaction(self.svc.sessions) as session:
                task = session.get_one(HumanTask, task_id)
                link = ClientLink(
                    id=f"link-{self.serial()}",
                    case_key=task.business_key,
                    office=task.office,
                    instance_id=task.instance_id,
                    task_id=task.id,
                    task_title=task.title,
                    language="en",
                    created_at=now,
                    created_by="cole",
                    expires_at=now + timedelta(days=14),
                )
                session.add(link)
                return link.id

        return self._once(("client_link",), False, make)

    def owned_case(self) -> str:
        """A fresh home case that cole owns (for closing as its owner)."""
        key = self.case_key(fresh=True)
        with transaction(self.svc.sessions) as session:
            session.add(
                CaseOwner(
                    office=HOME,
                    business_key=key,
                    owner="cole",
                    assigned_at=self.svc.clock.now(),
                    assigned_by="sam",
                )
            )
        return key

    def note_on(self, key: str) -> int:
        """A note cole wrote on a home case."""
        cole = Principal("cole", HOME, frozenset({"caseworker"}))
        with transaction(self.svc.sessions) as session:
            case = session.scalars(select(Case).where(Case.office == HOME, Case.key == key)).one()
            return add_note(session, cole, case, "matrix", self.svc.clock.now()).id

    def attachment_on(self, key: str) -> int:
        cole = Principal("cole", HOME, frozenset({"caseworker"}))
        with transaction(self.svc.sessions) as session:
            case = session.scalars(select(Case).where(Case.office == HOME, Case.key == key)).one()
            upload = read_upload([PDF])
            return add_attachment(self.svc, session, cole, case, "a.pdf", upload).id

    def day(self) -> date:
        """A day no other cell uses."""
        return date(2027, 3, 1) + timedelta(days=self.serial())

    def closure(self, office: str) -> date:
        day = self.day()
        with transaction(self.svc.sessions) as session:
            add_closure(session, ADMIN, office, day, "matrix", self.svc.clock.now())
        return day

    def window(self) -> tuple[str, str]:
        """An absence period in the future that overlaps no other cell's."""
        starts = self.svc.clock.now() + timedelta(days=10 + 3 * self.serial())
        return starts.isoformat(), (starts + timedelta(days=1)).isoformat()

    def absence(self, username: str, *, cancelled: bool) -> int:
        """A scheduled absence of `username` (moves nothing), or one already cancelled."""
        starts, ends = self.window()
        now = self.svc.clock.now()
        request = AbsenceRequest(
            username=username,
            starts_at=datetime.fromisoformat(starts),
            ends_at=datetime.fromisoformat(ends),
            cover=None,
            reason_category="training",
        )
        with transaction(self.svc.sessions) as session:
            absence = add_absence(session, ADMIN, request, now)
            if cancelled:
                end_absence(session, ADMIN, username, absence.id, now)
            return absence.id

    def _once(self, key: tuple[str, ...], fresh: bool, make: Callable[..., str], *args: Any) -> str:
        if fresh:
            return make(*args)
        if key not in self._shared:
            self._shared[key] = make(*args)
        return self._shared[key]

    def undelivered(self, office: str) -> int:
        """A fresh failed message of the office (each retry or handled call needs its own)."""
        now = self.svc.clock.now()
        with transaction(self.svc.sessions) as session:
            row = OutboxEntry(
                instance_id=f"authz-{self.serial()}",
                channel="email",
                recipient="client@example.org",
                subject="matrix",
                body="",
                payload_json="{}",
                created_at=now,
                office=office,
                status="failed",
                attempts=8,
                last_error="matrix",
            )
            session.add(row)
            session.flush()
            return row.id

    def partner(self, office: str) -> int:
        def make() -> str:
            admin = Principal("ada", office, frozenset({"admin"}))
            fields = {"key": f"matrix_{office}", "name": "Matrix partner", "office": office}
            box = SecretBox.from_settings(self.svc.settings)
            with transaction(self.svc.sessions) as session:
                saved = create_partner(session, admin, fields, box, self.svc.clock.now())
                return str(saved.partner.id)

        return int(self._once(("partner", office), False, make))

    def queue(self) -> str:
        def make() -> str:
            admin = Principal("ada", HOME, frozenset({"admin"}))
            fields = {"key": "matrix_queue", "roles": ["caseworker"]}
            with transaction(self.svc.sessions) as session:
                return create_queue(session, admin, fields, self.svc.clock.now()).key

        return str(self._once(("queue",), False, make))

    # -- setup ------------------------------------------------------------------------------

    def _seed(self) -> None:
        now = self.svc.clock.now()
        with transaction(self.svc.sessions) as session:
            for username, (office, role) in STAFF.items():
                add_user(session, username, office=office, roles=[role], now=now)
            for caller in CALLERS:
                if caller.username is None:
                    continue
                issued = now - timedelta(days=2) if caller.column == "expired" else now
                self.tokens[caller.column] = issue_token(
                    session, caller.username, now=issued, ttl=timedelta(days=1)
                )
        with transaction(self.svc.sessions) as session:
            revoke_tokens(session, "rex", now=now)
            dee = session.scalars(select(User).where(User.username == "dee")).one()
            dee.active = False
        designer = Principal("dana", HOME, frozenset({"designer"}))
        commands.deploy_files(self.svc, designer, read_paths([DIAGRAM]))
        for version in ("first", "second"):
            source = SourceFile("authz_moving.bpmn", MOVING.format(name=version).encode())
            commands.deploy_files(self.svc, designer, [source])


# -- one request builder per route: (world, subject, caller) → the call --------------------------

Builder = Callable[[World, str, Caller], Call]
ENDPOINTS: dict[str, Builder] = {}


def endpoint(*keys: str) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        for key in keys:
            ENDPOINTS[key] = build
        return build

    return register


def _fixed(key: str, path: str, **extra: Any) -> None:
    """A route with one subject, "-"."""

    def build(world: World, subject: str, caller: Caller) -> Call:
        if subject != "-":
            raise KeyError(subject)
        return Call(path, **extra)

    ENDPOINTS[key] = build


for _path in ("/healthz", "/readyz", "/metrics", "/api/openapi.json", "/api/me", "/api/tasks"):
    _fixed(f"GET {_path}", _path)
_fixed("GET /api/definitions", "/api/definitions")
_fixed("GET /api/instances", "/api/instances")
_fixed(
    "GET /api/definitions/{process_id}/versions/{version}/xml",
    "/api/definitions/authz_case/versions/1/xml",
)
_fixed("POST /api/definitions", "/api/definitions", upload=True)
_fixed("POST /api/definitions/validate", "/api/definitions/validate", upload=True)
_fixed(
    "POST /api/definitions/{process_id}/whatif", "/api/definitions/authz_case/whatif", upload=True
)
_fixed(
    "POST /api/definitions/{process_id}/migrations",
    "/api/definitions/authz_moving/migrations",
    json={"from_version": 1, "to_version": 2, "dry_run": True},
)


@endpoint("POST /api/instances")
def _start(world: World, subject: str, caller: Caller) -> Call:
    if subject != "-":
        raise KeyError(subject)
    key = f"AUTHZ-NEW-{world.serial()}"
    return Call("/api/instances", {"process_id": "authz_quiet", "business_key": key, "data": {}})


# -- tasks --

TASK_ACTIONS: dict[str, Any] = {
    "claim": None,
    "unclaim": None,
    "assign": {"user": None},
    "complete": {"data": {}},
}


@endpoint("GET /api/tasks/{task_id}")
def _task(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/tasks/{world.task(subject, caller, fresh=False)}")


def _task_action(action: str) -> Builder:
    def build(world: World, subject: str, caller: Caller) -> Call:
        task_id = world.task(subject, caller, fresh=True)
        return Call(f"/api/tasks/{task_id}/{action}", TASK_ACTIONS[action])

    return build


for _action in TASK_ACTIONS:
    ENDPOINTS[f"POST /api/tasks/{{task_id}}/{_action}"] = _task_action(_action)


@endpoint("POST /api/tasks/{task_id}/client-link")
def _client_link(world: World, subject: str, caller: Caller) -> Call:
    """The world's tasks have no form: whoever passes the checks gets 422, not 201."""
    return Call(f"/api/tasks/{world.task(subject, caller, fresh=False)}/client-link", {})


@endpoint("GET /api/cases/{key}/client-links")
def _client_links(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{_home_case(world, subject)}/client-links")


@endpoint("POST /api/client-links/{link_id}/revoke")
def _revoke_client_link(world: World, subject: str, caller: Caller) -> Call:
    if subject != "sudbury":
        raise KeyError(subject)
    return Call(f"/api/client-links/{world.client_link()}/revoke")


@endpoint("POST /api/tasks/reassign")
def _reassign(world: World, subject: str, caller: Caller) -> Call:
    body: dict[str, Any] = {"task_ids": [world.task("cole's", caller, fresh=True)], "to": None}
    return Call("/api/tasks/reassign", {**body, **_office_param(subject)})


# -- instances and messages --


@endpoint("GET /api/instances/{instance_id}")
def _instance(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/instances/{world.instance(subject, caller, broken=False, fresh=False)}")


@endpoint("POST /api/instances/{instance_id}/messages")
def _message(world: World, subject: str, caller: Caller) -> Call:
    instance_id = world.instance(subject, caller, broken=False, fresh=True)
    return Call(f"/api/instances/{instance_id}/messages", {"name": "reply", "payload": {}})


@endpoint("POST /api/instances/{instance_id}/retry")
def _retry(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/instances/{world.instance(subject, caller, broken=True, fresh=True)}/retry")


@endpoint("POST /api/messages")
def _correlated(world: World, subject: str, caller: Caller) -> Call:
    ref = world.waiting_ref({"sudbury": HOME, "ottawa": AWAY}[subject])
    return Call("/api/messages", {"name": "reply", "correlation": {"ref": ref}, "payload": {}})


@endpoint("POST /api/signals")
def _signal(world: World, subject: str, caller: Caller) -> Call:
    return Call("/api/signals", {"name": "authz_nothing_waits", "office": _office(subject)})


# -- offices --


def _office(subject: str) -> str:
    return {"sudbury": HOME, "ottawa": AWAY}[subject]


@endpoint("GET /api/offices/{office}/closures")
def _closures(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/offices/{_office(subject)}/closures")


@endpoint("POST /api/offices/{office}/closures")
def _close(world: World, subject: str, caller: Caller) -> Call:
    body = {"day": world.day().isoformat(), "reason": "matrix"}
    return Call(f"/api/offices/{_office(subject)}/closures", body)


@endpoint("DELETE /api/offices/{office}/closures/{day}")
def _reopen(world: World, subject: str, caller: Caller) -> Call:
    office = _office(subject)
    return Call(f"/api/offices/{office}/closures/{world.closure(office).isoformat()}")


@endpoint("GET /api/offices/{office}/four-eyes")
def _four_eyes(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/offices/{_office(subject)}/four-eyes")


@endpoint("PUT /api/offices/{office}/four-eyes")
def _set_four_eyes(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/offices/{_office(subject)}/four-eyes", {"peer_office": "elsewhere"})


# -- supervision --


def _office_param(subject: str) -> dict[str, str]:
    """Subject "own office" names no office; "office=sudbury" names the home office."""
    return {"own office": {}, "office=sudbury": {"office": HOME}}[subject]


def _query(subject: str) -> str:
    return "".join(f"?office={office}" for office in _office_param(subject).values())


def _view(path: str) -> Builder:
    def build(world: World, subject: str, caller: Caller) -> Call:
        return Call(path + _query(subject))

    return build


for _path in (
    "/api/team",
    "/api/caseloads",
    "/api/queues",
    "/api/reports/service-standards",
    "/api/reports/outcomes",
):
    ENDPOINTS[f"GET {_path}"] = _view(_path)


@endpoint("POST /api/surveys/{code}")
def _survey(world: World, subject: str, caller: Caller) -> Call:
    """No survey was sent under this code: callers who may answer surveys learn nothing (404)."""
    if subject != "unknown code":
        raise KeyError(subject)
    return Call("/api/surveys/no-such-survey", {"answers": {"helped": "yes"}})


@endpoint("GET /api/cases/{business_key}/owner")
def _owner(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{world.case_key(fresh=False)}/owner{_query(subject)}")


@endpoint("PUT /api/cases/{business_key}/owner")
def _set_owner(world: World, subject: str, caller: Caller) -> Call:
    body = {"user": "cole", **_office_param(subject)}
    return Call(f"/api/cases/{world.case_key(fresh=True)}/owner", body)


# -- absences: "self" is the caller; "cole" a home colleague, "oscar" a worker over there --


def _worker(subject: str, caller: Caller) -> str:
    return {"self": caller.name, "cole": "cole", "oscar": "oscar"}[subject]


@endpoint("GET /api/users/{username}/absences")
def _absences(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/users/{_worker(subject, caller)}/absences")


@endpoint("POST /api/users/{username}/absences")
def _away(world: World, subject: str, caller: Caller) -> Call:
    starts, ends = world.window()
    body = {"starts_at": starts, "ends_at": ends, "cover": None, "reason_category": "vacation"}
    return Call(f"/api/users/{_worker(subject, caller)}/absences", body)


@endpoint("POST /api/users/{username}/absences/{absence_id}/end")
def _end(world: World, subject: str, caller: Caller) -> Call:
    username = _worker(subject, caller)
    absence_id = world.absence(username, cancelled=False)
    return Call(f"/api/users/{username}/absences/{absence_id}/end")


@endpoint("POST /api/users/{username}/absences/{absence_id}/hand-back")
def _hand_back(world: World, subject: str, caller: Caller) -> Call:
    username = _worker(subject, caller)
    absence_id = world.absence(username, cancelled=True)
    return Call(f"/api/users/{username}/absences/{absence_id}/hand-back")


# -- cases: "sudbury" is a home case (cole's colleagues' office), "-" where none is named --


@endpoint("POST /api/cases")
def _open_case(world: World, subject: str, caller: Caller) -> Call:
    if subject != "-":
        raise KeyError(subject)
    body = {"process_id": "authz_quiet", "client": {"name": "Matrix Client"}, "data": {}}
    return Call("/api/cases", body)


@endpoint("GET /api/cases")
def _search_cases(world: World, subject: str, caller: Caller) -> Call:
    if subject != "-":
        raise KeyError(subject)
    return Call("/api/cases?q=matrix")


def _home_case(world: World, subject: str, *, fresh: bool = False) -> str:
    if subject != "sudbury":
        raise KeyError(subject)
    return world.case_key(fresh=fresh)


@endpoint("GET /api/cases/{key}")
def _read_case(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{_home_case(world, subject)}")


@endpoint("POST /api/cases/{key}/close")
def _close_case(world: World, subject: str, caller: Caller) -> Call:
    """cole owns it; a withdrawn client is a reason the owner may close for."""
    if subject != "owned by cole":
        raise KeyError(subject)
    return Call(f"/api/cases/{world.owned_case()}/close", {"reason": "withdrawn"})


@endpoint("POST /api/cases/{key}/transfer")
def _transfer_case(world: World, subject: str, caller: Caller) -> Call:
    key = _home_case(world, subject, fresh=True)
    return Call(f"/api/cases/{key}/transfer", {"office": AWAY})


@endpoint("GET /api/cases/{key}/notes")
def _notes(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{_home_case(world, subject)}/notes")


@endpoint("POST /api/cases/{key}/notes")
def _add_note(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{_home_case(world, subject)}/notes", {"body": "matrix"})


@endpoint("PATCH /api/cases/{key}/notes/{note_id}")
def _edit_note(world: World, subject: str, caller: Caller) -> Call:
    """cole's note: nobody else may change it."""
    if subject != "cole's note":
        raise KeyError(subject)
    key = world.case_key(fresh=False)
    return Call(f"/api/cases/{key}/notes/{world.note_on(key)}", {"body": "changed"})


@endpoint("GET /api/cases/{key}/attachments")
def _attachments(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{_home_case(world, subject)}/attachments")


@endpoint("POST /api/cases/{key}/attachments")
def _attach(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/cases/{_home_case(world, subject)}/attachments", document=PDF)


@endpoint("GET /api/cases/{key}/attachments/{attachment_id}")
def _download(world: World, subject: str, caller: Caller) -> Call:
    key = _home_case(world, subject)
    return Call(f"/api/cases/{key}/attachments/{world.attachment_on(key)}")


_fixed("GET /api/incidents", "/api/incidents")


@endpoint("PATCH /api/instances/{instance_id}/data")
def _fix_data(world: World, subject: str, caller: Caller) -> Call:
    instance_id = world.instance(subject, caller, broken=True, fresh=True)
    return Call(f"/api/instances/{instance_id}/data", {"data": {"fixed": True}})


# -- delivery: the undelivered list and the partner directory --

_fixed("GET /api/outbox", "/api/outbox")
_fixed("GET /api/partners", "/api/partners")


@endpoint("POST /api/outbox/{outbox_id}/retry")
def _outbox_retry(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/outbox/{world.undelivered(_office(subject))}/retry")


@endpoint("POST /api/outbox/{outbox_id}/handled")
def _outbox_handled(world: World, subject: str, caller: Caller) -> Call:
    note = {"note": "Told the client by phone"}
    return Call(f"/api/outbox/{world.undelivered(_office(subject))}/handled", note)


_fixed("GET /api/queues/table", "/api/queues/table")


@endpoint("POST /api/queues")
def _new_queue(world: World, subject: str, caller: Caller) -> Call:
    if subject != "-":
        raise KeyError(subject)
    return Call("/api/queues", {"key": f"matrix_new_{world.serial()}", "roles": ["caseworker"]})


@endpoint("PATCH /api/queues/{key}")
def _one_queue(world: World, subject: str, caller: Caller) -> Call:
    if subject != "-":
        raise KeyError(subject)
    return Call(f"/api/queues/{world.queue()}", {"title_fr": "Renommée"})


@endpoint("POST /api/partners")
def _new_partner(world: World, subject: str, caller: Caller) -> Call:
    if subject != "-":
        raise KeyError(subject)
    return Call("/api/partners", {"key": f"matrix_new_{world.serial()}", "name": "New partner"})


@endpoint("GET /api/partners/{partner_id}", "PATCH /api/partners/{partner_id}")
def _one_partner(world: World, subject: str, caller: Caller) -> Call:
    return Call(f"/api/partners/{world.partner(_office(subject))}", {"name": "Renamed"})
