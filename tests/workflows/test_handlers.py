"""The workflow handlers check their inputs and fail with a clear message, never silently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers import HandlerContext, HandlerInputError
from handlers.cases import open_case
from handlers.documents import request_documents
from handlers.referrals import plan_referrals, send_referral

NOW = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
APPLICANT = {"name": "Jordan Smith", "phone": "705-555-0199", "preferred_language": "en"}


@pytest.fixture
def ctx() -> HandlerContext:
    return HandlerContext("3f9a1c2b-0000-4000-8000-000000000000", "CASE-7", "task", NOW)


def test_open_case_returns_the_case_file_and_acknowledges(ctx):
    result = open_case(ctx, applicant={**APPLICANT, "email": "j@example.org"}, channel="online")

    assert result == {
        "case_number": "CASE-7",
        "client_name": "Jordan Smith",
        "channel": "online",
        "received_at": "2027-01-04T14:00:00+00:00",
        "notice_channel": "email",
    }
    (ack,) = ctx.outbox
    assert (ack.channel, ack.recipient) == ("email", "Jordan Smith")


@pytest.mark.parametrize(
    ("applicant", "channel", "message"),
    [
        (APPLICANT, "fax", "channel must be one of"),
        ({**APPLICANT, "ssn": "1"}, "phone", "unknown applicant field(s) ssn"),
        ({**APPLICANT, "name": " "}, "phone", "name is missing"),
        ({"name": "Jo"}, "phone", "no phone, email or mailing address"),
        ({**APPLICANT, "phone": 7055550199}, "phone", "applicant phone must be text"),
    ],
)
def test_open_case_refuses_what_it_cannot_use(ctx, applicant, channel, message):
    with pytest.raises(HandlerInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_case(ctx, applicant=applicant, channel=channel)
    assert ctx.outbox == []


def test_request_documents_says_what_and_by_when(ctx):
    result = request_documents(
        ctx, recipient="Jordan Smith", documents=["sin", "identification"], due_days=90
    )

    assert result["due_on"] == "2027-04-04" and result["requested"] == ["sin", "identification"]
    (notice,) = ctx.outbox
    assert (notice.channel, notice.kind) == ("mail", "documents_request")
    assert notice.payload == {"documents": ["sin", "identification"], "due_on": "2027-04-04"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"documents": []}, "no documents"),
        ({"documents": ["passport_photo"]}, "unknown document"),
        ({"documents": ["sin", "sin"]}, "listed twice"),
        ({"due_days": 0}, "due_days must be positive"),
        ({"channel": "sms"}, "mail or email"),
        ({"recipient": ""}, "recipient is empty"),
    ],
)
def test_request_documents_refuses_bad_requests(ctx, kwargs, message):
    args = {"recipient": "Jo", "documents": ["sin"], "due_days": 90, "channel": "mail", **kwargs}

    with pytest.raises(HandlerInputError, match=message):
        request_documents(ctx, **args)


def test_plan_referrals_gives_one_referral_per_need_with_its_own_id(ctx):
    planned = plan_referrals(
        ctx,
        referrals={
            "employment_readiness": {"partner": "employment_ontario", "reason": "Ready"},
            "housing": {"partner": "housing_services", "reason": " Eviction ", "urgent": True},
        },
        client_name="Jordan Smith",
    )

    assert [p["need"] for p in planned] == ["housing", "employment_readiness"]
    assert planned[0] == {
        "referral_id": "CASE-7-housing-3f9a1c2b",
        "case_number": "CASE-7",
        "client_name": "Jordan Smith",
        "need": "housing",
        "partner": "housing_services",
        "reason": "Eviction",
        "urgent": True,
    }
    assert planned[1]["urgent"] is False


@pytest.mark.parametrize(
    ("referrals", "message"),
    [
        ({"rent": {"partner": "housing_services", "reason": "x"}}, "unknown need 'rent'"),
        ({"housing": {"partner": "Land lord", "reason": "x"}}, "unknown partner 'Land lord'"),
        ({"housing": {"partner": "housing_services"}}, "gives no reason"),
        ({"housing": "housing_services"}, "must be an object"),
    ],
)
def test_plan_referrals_refuses_unknown_needs_and_partners(ctx, referrals, message):
    with pytest.raises(HandlerInputError, match=message):
        plan_referrals(ctx, referrals=referrals, client_name="Jo")


REFERRAL = {
    "referral_id": "CASE-7-housing-3f9a1c2b",
    "partner": "housing_services",
    "need": "housing",
    "client_name": "Jordan Smith",
    "summary": "Eviction on February 1.",
    "consent_given": True,
}


def test_send_referral_queues_it_for_the_partner(ctx):
    receipt = send_referral(ctx, **REFERRAL)

    assert receipt == {
        "referral_id": "CASE-7-housing-3f9a1c2b",
        "partner": "housing_services",
        "sent_at": "2027-01-04T14:00:00+00:00",
    }
    (message,) = ctx.outbox
    assert (message.channel, message.recipient) == ("partner", "housing_services")
    assert message.payload["referral_id"] == "CASE-7-housing-3f9a1c2b"
    assert message.payload["case_number"] == "CASE-7"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent_given": False}, "not consented"),
        ({"partner": "Land lord"}, "unknown partner"),
        ({"need": "rent"}, "unknown need"),
        ({"referral_id": " "}, "referral_id is empty"),
        ({"summary": ""}, "summary are required"),
    ],
)
def test_send_referral_refuses_without_consent_or_with_unknown_codes(ctx, change, message):
    with pytest.raises(HandlerInputError, match=message):
        send_referral(ctx, **{**REFERRAL, **change})
    assert ctx.outbox == []
