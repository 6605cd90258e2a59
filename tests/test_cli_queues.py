"""`caseway queues` and the deploy's queue warnings from the command line."""

from __future__ import annotations

from tests.test_cli import Caseway, caseway, db_url, upgraded  # noqa: F401 - fixtures

HOUSING = "tests/fixtures/dialects/spiff_housing.bpmn"


def test_deploy_warns_of_an_unknown_queue_and_queues_add_creates_it(
    caseway: Caseway,  # noqa: F811
    upgraded: str,  # noqa: F811
) -> None:
    deployed = caseway("deploy", HOUSING)
    added = caseway(
        "queues", "add", "housing_review", "--title-fr", "Logement", "--role", "caseworker"
    )
    again = caseway("queues", "add", "housing_review")
    listed = caseway("queues", "list")

    assert deployed.code == 0
    assert "warning: spiff_housing.bpmn [Task_assess]: queue 'housing_review'" in deployed.err
    assert "caseway queues add housing_review" in deployed.err
    assert added.code == 0 and "added queue housing_review" in added.out
    assert again.code == 1 and "already exists" in again.err
    assert "housing_review  Housing review / Logement  [caseworker]" in listed.out
    assert "triage  Triage (office supervisors)" in listed.out  # seeded by the migration


def test_queues_update_refuses_an_unknown_role(caseway: Caseway, upgraded: str) -> None:  # noqa: F811
    result = caseway("queues", "update", "caseworker", "--role", "wizard")

    assert result.code == 1 and "unknown role" in result.err
