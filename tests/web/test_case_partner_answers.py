"""A partner's answer given on the phone is recorded on the case page: the referral waiting for
it goes on (declined → choose another partner), as if the partner had posted the message."""

from __future__ import annotations

import re

from tests.web.conftest import WebClient
from tests.workflows.helpers import complete, deploy, instance, open_tasks
from tests.workflows.test_warm_referral import PREPARED, REFERRAL


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def test_a_declined_referral_is_recorded_from_the_case_page(web: WebClient, api) -> None:
    deploy(api, "warm_referral.bpmn")
    opened = api.as_("casey").post(
        "/api/cases",
        json={
            "process_id": "warm_referral",
            "key": "CASE-9",
            "client": {"name": "Pat Doe"},
            "data": REFERRAL,
        },
    )
    assert opened.status_code == 201, opened.json
    waiting = complete(
        api, "casey", instance(api, opened.json["instance_id"]), "prepare_referral", PREPARED
    )
    assert open_tasks(waiting) == []
    web.login("casey")

    page = _text(web.get("/cases/CASE-9"))
    declined = re.search(r'action="(/cases/CASE-9/messages/[^"]+/referral_declined)"', page)
    assert "Record that the partner accepted the referral" in page
    assert declined, "no partner-answer form on the case page"
    done = web.post(declined.group(1), {"text": "No vacancies until spring"})

    assert done.status_code == 302
    after = instance(api, opened.json["instance_id"])
    assert open_tasks(after) == ["choose_next"]
    assert after["data"]["decline_reason"] == "No vacancies until spring"
    assert "referral_declined" not in _text(web.get("/cases/CASE-9"))
