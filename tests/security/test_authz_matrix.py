"""The authorization matrix (issue #8): every route of the JSON API and the operability
endpoints × every kind of caller × the subjects that matter (own or other office, own or someone
else's task, case, absence), each cell asserting the exact status code of a real request with a
real token against the real app.

The rules (docs/decisions.md): no or bad token → 401; a partner token may only post messages
(403 elsewhere); what the caller may not see → 404, seen but not permitted → 403; things of
another office are not seen (404), but naming another office in the `office` parameter of a
supervisory view, the report or bulk reassignment → 403; supervisors act on their office,
admins everywhere. Health, readiness, metrics and the OpenAPI document need no token.

Columns, left to right:
  ano   no Authorization header          rvk  a revoked token (caseworker rex)
  exp   an expired token (casey's)       off  a deactivated user's token (caseworker dee)
  ptn   a partner organization's token (pat, office "partners")
  then designer, intake worker, caseworker, supervisor, admin of the home office (sudbury),
  then the same five roles in the other office (ottawa).
Subjects are named from the home office's point of view; "mine" and "self" always mean the
caller's own (task held by the caller in their office; the caller as a user). See
authz_world.py for how each subject is made.

Adding a route fails test_every_route_is_in_the_matrix until it has a row here and a request
builder in authz_world.ENDPOINTS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from engine.app import create_app
from engine.config import Settings
from engine.services import Services
from engine.store.db import make_engine
from engine.store.migrate import alembic_config
from engine.store.models import ApiToken, Base, User
from tests.security.authz_world import BY_COLUMN, CALLERS, ENDPOINTS, Call, Caller, World

PUBLIC = "200 200 200 200 200 | 200 200 200 200 200 | 200 200 200 200 200"

# fmt: off
MATRIX: dict[str, dict[str, str]] = {
    #                        no token, partner     home: sudbury         other: ottawa
    #                        ano rvk exp off ptn | dsg itk cwk sup adm | dsg itk cwk sup adm
    "GET /healthz": {"-": PUBLIC},
    "GET /readyz": {"-": PUBLIC},
    "GET /metrics": {"-": PUBLIC},
    "GET /api/openapi.json": {"-": PUBLIC},
    "GET /api/me": {
        "-":                "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
    },

    # Definitions are shared by every office; designers (and admins) change them.
    "GET /api/definitions": {
        "-":                "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
    },
    "GET /api/definitions/{process_id}/versions/{version}/xml": {
        "-":                "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
    },
    "POST /api/definitions": {
        "-":                "401 401 401 401 403 | 201 403 403 403 201 | 201 403 403 403 201",
    },
    "POST /api/definitions/validate": {
        "-":                "401 401 401 401 403 | 200 403 403 403 200 | 200 403 403 403 200",
    },
    "POST /api/definitions/{process_id}/whatif": {
        "-":                "401 401 401 401 403 | 200 403 403 403 200 | 200 403 403 403 200",
    },
    "POST /api/definitions/{process_id}/migrations": {
        "-":                "401 401 401 401 403 | 200 403 403 403 200 | 200 403 403 403 200",
    },

    # Cases. "mine": started by the caller, no human task; "case": cole's, with a caseworker
    # and an intake task; "quiet": cole's, no human task; "ottawa": a case over there.
    "GET /api/instances": {  # a list: what the caller may see, never refused
        "-":                "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
    },
    "POST /api/instances": {
        "-":                "401 401 401 401 403 | 403 201 201 201 201 | 403 201 201 201 201",
    },
    "GET /api/instances/{instance_id}": {
        "mine":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "case":             "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
        "quiet":            "401 401 401 401 403 | 404 404 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 200 200 200 200",
    },
    "POST /api/instances/{instance_id}/messages": {
        "mine":             "401 401 401 401 403 | 403 200 200 200 200 | 403 200 200 200 200",
        "case":             "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
        "quiet":            "401 401 401 401 403 | 404 404 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 200 200 200 200",
    },
    "POST /api/instances/{instance_id}/retry": {  # the same cases, stopped on an incident
        "mine":             "401 401 401 401 403 | 403 200 200 200 200 | 403 200 200 200 200",
        "case":             "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
        "quiet":            "401 401 401 401 403 | 404 404 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 200 200 200 200",
    },
    # By correlation: partners reach any office, staff their own office's waiting cases.
    "POST /api/messages": {
        "sudbury":          "401 401 401 401 202 | 403 202 202 202 202 | 403 404 404 404 202",
        "ottawa":           "401 401 401 401 202 | 403 404 404 404 202 | 403 202 202 202 202",
    },
    # Signals reach one office's waiting cases: supervisors their own office, admins any.
    "POST /api/signals": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 202 202 | 403 403 403 403 202",
        "ottawa":           "401 401 401 401 403 | 403 403 403 403 202 | 403 403 403 202 202",
    },

    # Tasks. "queue": home caseworker task nobody holds; "mine": held by the caller (their
    # office); "cole's": home caseworker task cole holds; "intake": home intake task nobody
    # holds; "ottawa": caseworker task over there nobody holds; "oscar's": one oscar holds.
    "GET /api/tasks": {  # a list: what the caller may see, never refused
        "-":                "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
    },
    "GET /api/tasks/{task_id}": {
        "queue":            "401 401 401 401 403 | 404 404 200 200 200 | 404 404 404 404 200",
        "mine":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "cole's":           "401 401 401 401 403 | 404 404 200 200 200 | 404 404 404 404 200",
        "intake":           "401 401 401 401 403 | 404 200 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 404 200 200 200",
        "oscar's":          "401 401 401 401 403 | 404 404 404 404 200 | 404 404 200 200 200",
    },
    "POST /api/tasks/{task_id}/claim": {  # 409: someone else holds it
        "queue":            "401 401 401 401 403 | 404 404 200 200 200 | 404 404 404 404 200",
        "mine":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "cole's":           "401 401 401 401 403 | 404 404 409 409 409 | 404 404 404 404 409",
        "intake":           "401 401 401 401 403 | 404 200 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 404 200 200 200",
        "oscar's":          "401 401 401 401 403 | 404 404 404 404 409 | 404 404 409 409 409",
    },
    "POST /api/tasks/{task_id}/unclaim": {  # 409: nobody holds it
        "queue":            "401 401 401 401 403 | 404 404 409 409 409 | 404 404 404 404 409",
        "mine":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "cole's":           "401 401 401 401 403 | 404 404 403 200 200 | 404 404 404 404 200",
        "intake":           "401 401 401 401 403 | 404 409 404 409 409 | 404 404 404 404 409",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 409 | 404 404 409 409 409",
        "oscar's":          "401 401 401 401 403 | 404 404 404 404 200 | 404 404 403 200 200",
    },
    "POST /api/tasks/{task_id}/assign": {  # {"user": null}: back to the queue
        "queue":            "401 401 401 401 403 | 404 404 403 200 200 | 404 404 404 404 200",
        "mine":             "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "cole's":           "401 401 401 401 403 | 404 404 403 200 200 | 404 404 404 404 200",
        "intake":           "401 401 401 401 403 | 404 403 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 404 403 200 200",
        "oscar's":          "401 401 401 401 403 | 404 404 404 404 200 | 404 404 403 200 200",
    },
    # An unclaimed task is claimed by the completer. 409: someone else holds it, as for claim
    # (was 403 until issue #18; DESIGN.md and the README promise 409 for "claimed by someone
    # else", and one state should answer one code whichever button was pressed).
    "POST /api/tasks/{task_id}/complete": {
        "queue":            "401 401 401 401 403 | 404 404 200 200 200 | 404 404 404 404 200",
        "mine":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "cole's":           "401 401 401 401 403 | 404 404 409 409 409 | 404 404 404 404 409",
        "intake":           "401 401 401 401 403 | 404 200 404 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 404 200 200 200",
        "oscar's":          "401 401 401 401 403 | 404 404 404 404 409 | 404 404 409 409 409",
    },
    "POST /api/tasks/reassign": {  # task_ids: [a fresh "cole's" task], to: null
        "own office":       "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 404 200",
        "office=sudbury":   "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 403 200",
    },

    # Offices: closure days (the office in the path is what is addressed).
    "GET /api/offices/{office}/closures": {
        "sudbury":          "401 401 401 401 403 | 200 200 200 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 200 200 200 200 200",
    },
    "POST /api/offices/{office}/closures": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 201 201 | 404 404 404 404 201",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 201 | 403 403 403 201 201",
    },
    "DELETE /api/offices/{office}/closures/{day}": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 204 204 | 404 404 404 404 204",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 204 | 403 403 403 204 204",
    },
    # Offices: where four-eyes steps go when nobody else in the office may take them.
    "GET /api/offices/{office}/four-eyes": {
        "sudbury":          "401 401 401 401 403 | 200 200 200 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 200 200 200 200 200",
    },
    "PUT /api/offices/{office}/four-eyes": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },

    # Supervision views: "own office" names none, "office=sudbury" names the home office.
    "GET /api/team": {
        "own office":       "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "office=sudbury":   "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 403 200",
    },
    "GET /api/caseloads": {
        "own office":       "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "office=sudbury":   "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 403 200",
    },
    "GET /api/queues": {
        "own office":       "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "office=sudbury":   "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 403 200",
    },
    "GET /api/reports/service-standards": {
        "own office":       "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "office=sudbury":   "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 403 200",
    },
    "GET /api/reports/outcomes": {
        "own office":       "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "office=sudbury":   "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 403 200",
    },
    # Closure-survey answers: staff (and the office's portal) may answer; partners may not.
    "POST /api/surveys/{code}": {
        "unknown code":     "401 401 401 401 403 | 403 404 404 404 404 | 403 404 404 404 404",
    },
    # A home case (cole's); the office is part of its address, so another office → 404.
    "GET /api/cases/{business_key}/owner": {
        "own office":       "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 404",
        "office=sudbury":   "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    "PUT /api/cases/{business_key}/owner": {  # {"user": "cole"}
        "own office":       "401 401 401 401 403 | 404 403 403 200 200 | 404 404 404 404 404",
        "office=sudbury":   "401 401 401 401 403 | 404 403 403 200 200 | 404 404 404 404 200",
    },

    # Case records (issue #15): staff who work cases, in the case's office; admins anywhere.
    "POST /api/cases": {
        "-":                "401 401 401 401 403 | 403 201 201 201 201 | 403 201 201 201 201",
    },
    "GET /api/cases": {  # a search: the caller's office only, never refused to case workers
        "-":                "401 401 401 401 403 | 403 200 200 200 200 | 403 200 200 200 200",
    },
    "GET /api/cases/{key}": {
        "sudbury":          "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    "POST /api/cases/{key}/close": {  # reason "withdrawn": the owner (cole) or a supervisor
        "owned by cole":    "401 401 401 401 403 | 404 403 403 200 200 | 404 404 404 404 200",
    },
    "POST /api/cases/{key}/transfer": {  # to ottawa
        "sudbury":          "401 401 401 401 403 | 404 403 403 200 200 | 404 404 404 404 200",
    },
    "GET /api/cases/{key}/notes": {
        "sudbury":          "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    "POST /api/cases/{key}/notes": {
        "sudbury":          "401 401 401 401 403 | 404 201 201 201 201 | 404 404 404 404 201",
    },
    "PATCH /api/cases/{key}/notes/{note_id}": {  # only its author, and cole is no caller
        "cole's note":      "401 401 401 401 403 | 404 403 403 403 403 | 404 404 404 404 403",
    },
    "GET /api/cases/{key}/attachments": {
        "sudbury":          "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    "POST /api/cases/{key}/attachments": {
        "sudbury":          "401 401 401 401 403 | 404 201 201 201 201 | 404 404 404 404 201",
    },
    "GET /api/cases/{key}/attachments/{attachment_id}": {
        "sudbury":          "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    # Client self-service links: staff who work cases, on tasks they see (422: no form here).
    "POST /api/tasks/{task_id}/client-link": {
        "queue":            "401 401 401 401 403 | 404 404 422 422 422 | 404 404 404 404 422",
        "mine":             "401 401 401 401 403 | 403 422 422 422 422 | 403 422 422 422 422",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 422 | 404 404 422 422 422",
    },
    "GET /api/cases/{key}/client-links": {
        "sudbury":          "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    "POST /api/client-links/{link_id}/revoke": {
        "sudbury":          "401 401 401 401 403 | 404 200 200 200 200 | 404 404 404 404 200",
    },
    "GET /api/incidents": {
        "-":                "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
    },
    "PATCH /api/instances/{instance_id}/data": {  # the retry subjects, stopped on an incident
        "mine":             "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "case":             "401 401 401 401 403 | 404 403 403 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 404 403 403 200 200",
    },

    # Absences: "self" is the caller; "cole" a home colleague; "oscar" a worker over there.
    "GET /api/users/{username}/absences": {
        "self":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "cole":             "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "oscar":            "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },
    "POST /api/users/{username}/absences": {
        "self":             "401 401 401 401 403 | 201 201 201 201 201 | 201 201 201 201 201",
        "cole":             "401 401 401 401 403 | 403 403 403 201 201 | 404 404 404 404 201",
        "oscar":            "401 401 401 401 403 | 404 404 404 404 201 | 403 403 403 201 201",
    },
    "POST /api/users/{username}/absences/{absence_id}/end": {
        "self":             "401 401 401 401 403 | 200 200 200 200 200 | 200 200 200 200 200",
        "cole":             "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "oscar":            "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },
    "POST /api/users/{username}/absences/{absence_id}/hand-back": {  # of a cancelled absence
        "self":             "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
        "cole":             "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "oscar":            "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },

    # Delivery: the undelivered list (supervisors: own office; admins: all), and a failed
    # message of each office to send again or mark handled by phone.
    "GET /api/outbox": {
        "-":                "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
    },
    "POST /api/outbox/{outbox_id}/retry": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },
    "POST /api/outbox/{outbox_id}/handled": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },
    # The partner directory of an office (a partner of each office as the subject).
    "GET /api/partners": {
        "-":                "401 401 401 401 403 | 403 403 403 200 200 | 403 403 403 200 200",
    },
    "POST /api/partners": {  # in the caller's own office
        "-":                "401 401 401 401 403 | 403 403 403 201 201 | 403 403 403 201 201",
    },
    "GET /api/partners/{partner_id}": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },
    "PATCH /api/partners/{partner_id}": {
        "sudbury":          "401 401 401 401 403 | 403 403 403 200 200 | 404 404 404 404 200",
        "ottawa":           "401 401 401 401 403 | 404 404 404 404 200 | 403 403 403 200 200",
    },
    # The queue table: designers and admins change it; supervisors may read it.
    "GET /api/queues/table": {
        "-":                "401 401 401 401 403 | 200 403 403 200 200 | 200 403 403 200 200",
    },
    "POST /api/queues": {
        "-":                "401 401 401 401 403 | 201 403 403 403 201 | 201 403 403 403 201",
    },
    "PATCH /api/queues/{key}": {
        "-":                "401 401 401 401 403 | 200 403 403 403 200 | 200 403 403 403 200",
    },
}
# fmt: on

OPERABILITY = ("/healthz", "/readyz", "/metrics")


def _row(codes: str) -> dict[str, int]:
    values = [int(code) for code in codes.split() if code != "|"]
    assert len(values) == len(CALLERS), f"{len(values)} codes for {len(CALLERS)} callers"
    return {caller.column: value for caller, value in zip(CALLERS, values, strict=True)}


EXPECTED = {
    (key, subject, column): code
    for key, subjects in MATRIX.items()
    for subject, codes in subjects.items()
    for column, code in _row(codes).items()
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One app per database for the whole matrix; cells that change state bring their own
    subjects (see authz_world), so sharing the app cannot make one cell decide another."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'authz.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        command.stamp(alembic_config(url), "head")  # built from the models: mark it migrated
    else:
        url = request.getfixturevalue("postgres_url")
        engine = create_engine(url)
        names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            # The audit trail's refusal of TRUNCATE is skipped for this one transaction.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
    built = World.build(url)
    yield built
    built.close()


@pytest.mark.parametrize(
    ("key", "subject", "column"), list(EXPECTED), ids=[" | ".join(cell) for cell in EXPECTED]
)
def test_cell(world: World, key: str, subject: str, column: str) -> None:
    method = key.split()[0]
    caller = BY_COLUMN[column]
    call = ENDPOINTS[key](world, subject, caller)

    response = world.send(method, caller, call)

    expected = EXPECTED[(key, subject, column)]
    assert response.status_code == expected, (
        f"{method} {call.path} as {column}: {response.status_code}, expected {expected}; "
        f"{response.get_data(as_text=True)[:300]}"
    )


def test_each_refused_token_is_wrong_in_one_way_only(world: World) -> None:
    """The 401 columns mean something only if each token is one the app issued, refused for
    its one reason: revoked (rex), past its expiry (casey's old one), user deactivated (dee)."""
    now = world.svc.clock.now()

    def tokens(username: str) -> list[tuple[bool, bool, bool]]:
        with world.svc.sessions() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
            return sorted(
                (t.revoked_at is not None, t.expires_at <= now, user.active) for t in rows
            )

    #                        revoked, expired, user active
    assert tokens("rex") == [(True, False, True)]
    assert tokens("dee") == [(False, False, False)]
    assert tokens("casey") == [(False, False, True), (False, True, True)]


# -- lists show exactly what the caller may open ----------------------------------------------

STAFF_CALLERS = list(CALLERS[5:])  # the ten role columns: tokens that work


@pytest.mark.parametrize("caller", STAFF_CALLERS, ids=[c.column for c in STAFF_CALLERS])
def test_inbox_lists_exactly_the_tasks_the_caller_may_open(world: World, caller: Caller) -> None:
    row = MATRIX["GET /api/tasks/{task_id}"]
    expected = {kind: _row(codes)[caller.column] == 200 for kind, codes in row.items()}

    listed = {}
    for kind in row:
        task_id = world.task(kind, caller, fresh=False)
        path = f"/api/tasks?status=any&instance_id={world.instance_of[task_id]}"
        response = world.send("GET", caller, Call(path))
        assert response.status_code == 200
        listed[kind] = task_id in {item["id"] for item in response.json["items"]}

    assert listed == expected


# GET /api/instances: the cases I started; supervisors: every case of my office; admins: all.
# fmt: off
LISTED_CASES = {
    #          home: sudbury         other: ottawa
    #          dsg itk cwk sup adm | dsg itk cwk sup adm
    "mine":   "yes yes yes yes yes | yes yes yes yes yes",
    "case":   "no  no  no  yes yes | no  no  no  no  yes",
    "quiet":  "no  no  no  yes yes | no  no  no  no  yes",
    "ottawa": "no  no  no  no  yes | no  no  no  yes yes",
}
# fmt: on


@pytest.mark.parametrize("caller", STAFF_CALLERS, ids=[c.column for c in STAFF_CALLERS])
def test_case_list_shows_exactly_the_documented_cases(world: World, caller: Caller) -> None:
    column = STAFF_CALLERS.index(caller)
    expected = {
        kind: [flag for flag in flags.split() if flag != "|"][column] == "yes"
        for kind, flags in LISTED_CASES.items()
    }

    listed = {}
    for kind in LISTED_CASES:
        instance_id = world.instance(kind, caller, broken=False, fresh=False)
        path = f"/api/instances?business_key={world.key_of[instance_id]}"
        response = world.send("GET", caller, Call(path))
        assert response.status_code == 200
        listed[kind] = instance_id in {item["id"] for item in response.json["items"]}

    assert listed == expected


# -- the matrix covers every route --------------------------------------------------------------


def _template(rule: str) -> str:
    """`/api/tasks/<task_id>` and `<int(max=9):version>` → OpenAPI's `{task_id}`, `{version}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _routes() -> set[str]:
    services = Services.build(Settings(database_url="sqlite://"))
    app = create_app(services=services)
    services.engine.dispose()
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in OPERABILITY:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.add(f"{method} {_template(rule.rule)}")
    return found


def test_every_route_is_in_the_matrix() -> None:
    routes = _routes()

    assert routes - set(MATRIX) == set(), "routes without a row in MATRIX"
    assert set(MATRIX) - routes == set(), "rows in MATRIX for routes that do not exist"
    assert set(ENDPOINTS) == set(MATRIX), "every row needs a request builder in authz_world"


def test_every_documented_operation_is_in_the_matrix() -> None:
    services = Services.build(Settings(database_url="sqlite://"))
    document = create_app(services=services).test_client().get("/api/openapi.json").get_json()
    services.engine.dispose()
    assert isinstance(document, dict)

    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }

    assert operations - set(MATRIX) == set()


def test_the_columns_are_the_documented_principals() -> None:
    assert [caller.column for caller in CALLERS][5:] == [
        f"{role}{suffix}"
        for suffix in ("", "@ottawa")
        for role in ("designer", "intake_worker", "caseworker", "supervisor", "admin")
    ]
