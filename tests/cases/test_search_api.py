"""Finding cases: by client name whatever the accents, case and punctuation, by key, by date of
birth; only the caller's office (admins: all)."""

from __future__ import annotations

import pytest

from engine.cases.normalize import normalize
from tests.cases.helpers import deploy_intake, opened


@pytest.fixture
def cases(api):
    deploy_intake(api)
    opened(api.as_("ira"), key="C-1")
    opened(
        api.as_("ira"), key="C-2", client={"name": "Jordan Smith", "date_of_birth": "1990-07-01"}
    )
    opened(api.as_("olive"), key="C-3", client={"name": "Marie-Eve Ottawa"})


def keys(api, user: str, q: str) -> list[str]:
    response = api.as_(user).get("/api/cases", query_string={"q": q})
    assert response.status_code == 200, response.json
    assert response.json["total"] == len(response.json["items"])
    return sorted(item["key"] for item in response.json["items"])


@pytest.mark.parametrize(
    "q", ["Marie-Eve", "marie eve", "MARIE-ÈVE", "Marie Ève", "eve", "tremblay marie", "TREMB"]
)
def test_names_match_whatever_the_accents_case_and_punctuation(api, cases, q):
    assert keys(api, "casey", q) == ["C-1"]


def test_keys_and_dates_of_birth_find_their_case(api, cases):
    assert keys(api, "casey", "C-2") == ["C-2"]
    assert keys(api, "casey", "1990-07-01") == ["C-2"]
    assert keys(api, "casey", "1984-02-29") == ["C-1"]
    assert keys(api, "casey", "nobody here") == []


def test_each_office_sees_its_own_cases_and_admins_all(api, cases):
    assert keys(api, "olive", "marie") == ["C-3"]
    assert keys(api, "sam", "marie") == ["C-1"]
    assert keys(api, "ada", "marie") == ["C-1", "C-3"]
    assert keys(api, "casey", "") == ["C-1", "C-2"]


def test_lists_page_and_refuse_those_who_do_not_work_cases(api, cases):
    page = api.as_("casey").get("/api/cases?limit=1&offset=1").json

    assert page["total"] == 2 and len(page["items"]) == 1
    assert api.as_("dana").get("/api/cases").status_code == 403


def test_searching_is_audited(api, svc, cases):
    from sqlalchemy import select

    from engine.store.models import AuditEvent

    api.as_("casey").get("/api/cases?q=marie")

    with svc.sessions() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "case.search")
        ).all()
    assert actors == ["casey"]


def test_one_normalization_for_stored_text_and_queries():
    assert normalize("Marie-Ève  O'Brien_Ünal") == "marie eve o brien unal"
    assert normalize("ﬁnn") == "finn"  # compatibility forms (NFKD)
    assert normalize("%_") == ""
