"""The outcomes page: monthly referral chart, counts by partner and need, CSV download."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from engine.store.db import transaction
from engine.store.models import OutcomeRecord
from tests.web.conftest import WebClient


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def _record(svc, *rows: tuple[str, str, str, str, str]) -> None:  # type: ignore[no-untyped-def]
    """(office, month, partner, result, reason) rows of referral outcomes for need housing."""
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        for n, (office, month, partner, result, reason) in enumerate(rows):
            session.add(
                OutcomeRecord(
                    office=office,
                    case_key=f"CASE-{n}",
                    kind="referral",
                    need="housing",
                    partner=partner,
                    result=result,
                    reason=reason,
                    month=month,
                    recorded_at=now - timedelta(days=n),
                    recorded_by="casey",
                )
            )


def test_the_page_draws_connections_per_month_and_counts_by_partner(web: WebClient, svc):
    _record(
        svc,
        ("sudbury", "2026-12", "housing_services", "not_connected", "partner_declined"),
        ("sudbury", "2027-01", "family_support", "connected", None),
        ("sudbury", "2027-01", "housing_services", "connected", None),
        ("ottawa", "2027-01", "food_bank", "connected", None),
    )
    web.login("sam")

    page = _text(web.get("/outcomes"))

    assert "Referrals connected and not connected, month by month" in page
    assert page.count('fill="#1e6b33"') == 1  # one month with connections (sudbury only)
    assert '<th scope="row">2027-01</th><td class="num">2</td><td class="num">0</td>' in page
    assert "food_bank" not in page  # another office
    assert '<th scope="row">housing_services</th><td class="num">2</td>' in page
    filtered = _text(web.get("/outcomes?partner=family_support&since=2027-01"))
    assert "Every count (1 outcomes)" in filtered


def test_the_csv_download_has_one_row_per_outcome(web: WebClient, svc):
    _record(svc, ("sudbury", "2027-01", "housing_services", "not_connected", "=cmd()"))
    web.login("sam")

    response = web.get("/outcomes.csv?need=housing")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    assert rows[0] == [
        "case",
        "office",
        "kind",
        "need",
        "partner",
        "result",
        "reason",
        "recorded_at",
        "recorded_by",
    ]
    assert rows[1][:7] == [
        "CASE-0",
        "sudbury",
        "referral",
        "housing",
        "housing_services",
        "not_connected",
        "'=cmd()",
    ]


def test_the_outcomes_page_is_for_supervisors(web: WebClient):
    web.login("casey")

    assert web.get("/outcomes").status_code == 403
    assert web.get("/outcomes.csv").status_code == 403
