"""The load test (bench/load.py) in miniature, so that it cannot rot: 5 simulated staff for
10 seconds against gunicorn and PostgreSQL, with no errors.

Like every PostgreSQL test it fails, never skips, without a reachable PostgreSQL (its own
scratch database on the server of CASEWAY_TEST_POSTGRES_URL, dropped afterwards).
"""

from __future__ import annotations

import os

import pytest

from bench import load, load_tasks
from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.ops, pytest.mark.slow]


def test_every_form_payload_of_the_load_test_is_valid():
    assert load_tasks.check_payloads() == []


def test_five_users_work_their_inboxes_for_ten_seconds_without_errors():
    options = load.Options(
        users=5,
        duration_s=10.0,
        think_scale=0.3,
        workers=2,
        threads=4,
        backlog=4,
        postgres_url=POSTGRES_URL,
        database_suffix=f"_loadsmoke{os.getpid()}",
    )

    outcome = load.execute(options)

    assert outcome.errors == 0, outcome.recorder.first_errors
    assert outcome.log_problems == []
    assert outcome.count("case: start") > 0
    assert outcome.count("task: complete") > 0
    assert outcome.count("inbox: my tasks") > 0
    assert {p.role for p in outcome.people} == {"intake_worker", "caseworker", "supervisor"}
    report = load.scenario(outcome)
    assert report.targets[0].met and report.rows[-1][0] == "all requests"
