"""A review request made at the counter or on the phone is recorded on the case page: the
intake waiting for it goes on, in the window or (late) to a supervisor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.casework import timers
from tests.cases.helpers import deploy_intake
from tests.conftest import seed_staff
from tests.web.conftest import WebClient
from tests.workflows.helpers import complete, instance, open_tasks

APPLICANT = {
    "name": "Jordan Smith",
    "date_of_birth": "1990-05-14",
    "phone": "705-555-0199",
    "preferred_language": "en",
}
REACHED = {
    "contact_outcome": "reached",
    "contact_method": "phone",
    "contacted_on": "2027-01-04",
    "urgent_need_flagged": False,
    "urgent_need": "none",
}
DENIED = {"local_decision": "denied", "decision_explanation": "The child is not in your care."}


@pytest.fixture
def staff(svc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Tokens that outlast the review window."""
    return seed_staff(svc, timedelta(days=3650))


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


@pytest.fixture
def denied(api) -> dict:
    deploy_intake(api)
    opened = api.as_("ira").post(
        "/api/cases",
        json={
            "process_id": "intake",
            "key": "C-RR",
            "client": {"name": "Jordan Smith"},
            "data": {"channel": "phone"},
        },
    )
    assert opened.status_code == 201, opened.json
    case = instance(api, opened.json["instance_id"])
    case = complete(
        api,
        "ira",
        case,
        "record_application",
        {"applicant": APPLICANT, "request": "temporary_care", "urgent_need": "none"},
    )
    case = complete(api, "ira", case, "contact_applicant", REACHED)
    return complete(api, "casey", case, "decide_local", DENIED)


def _record(web: WebClient, page: str, text: str):  # type: ignore[no-untyped-def]
    action = re.search(r'action="(/cases/C-RR/messages/[^"]+)"', page)
    assert action, "no review request form on the case page"
    return web.post(action.group(1), {"text": text})


def test_a_review_request_is_recorded_from_the_case_page(web: WebClient, api, denied):
    web.login("casey")
    page = _text(web.get("/cases/C-RR"))
    assert "Record a review request" in page

    response = _record(web, page, "Phoned on Jan 20: disagrees, the child lives with her.")

    assert response.status_code == 302
    case = instance(api, denied["id"])
    assert open_tasks(case) == ["conduct_review"]
    assert case["data"]["review_request_reason"].startswith("Phoned on Jan 20")
    assert "Record a review request" not in _text(web.get("/cases/C-RR"))


def test_a_late_request_from_the_page_goes_to_a_supervisor(web: WebClient, api, svc, clock, denied):
    clock.set(clock.now().replace(month=2, day=12))
    timers.tick(svc)
    web.login("casey")

    _record(web, _text(web.get("/cases/C-RR")), "Was in hospital until Feb 10.")

    case = instance(api, denied["id"])
    assert open_tasks(case) == ["accept_late_review"]


def test_nothing_to_record_is_a_404(web: WebClient, api, denied):
    web.login("casey")

    assert web.post("/cases/C-RR/messages/nope/internal_review_requested", {}).status_code == 404
    assert web.post(f"/cases/C-RR/messages/{denied['id']}/referral_accepted", {}).status_code == 404
