"""Closure surveys: the client answers later, through the notices channel.

A process sends the survey with the `closure_survey` handler: an outbox notice (kind
`closure_survey`) whose survey code is the sending instance's id. The answers come back through
`POST /api/surveys/{code}` (the portal relaying the client's reply, or staff typing in a mailed
form) and become `survey` outcome rows in one transaction: one row per answered question, the
result `question=answer`, the referral's need and partner copied from the case so the survey
counts next to the referral outcomes. A survey is answered once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine import errors, policy
from engine.audit import record
from engine.casework import outcomes
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import OutboxEntry, OutcomeRecord, ProcessInstance

SURVEY_NOTICE = "closure_survey"
QUESTIONS: Mapping[str, tuple[str, ...]] = {
    "helped": ("yes", "partly", "no"),
    "satisfaction": ("1", "2", "3", "4", "5"),
    "would_recommend": ("yes", "no"),
}


def answer_survey(
    svc: Services, principal: Principal, code: str, answers: Mapping[str, Any], comment: str
) -> int:
    """Record the answers; returns how many outcome rows were written.

    404 when no survey was sent under this code in an office the caller reaches, 409 when it
    was already answered, 422 naming the field for an unknown question or answer.
    """
    rows = _rows(answers, comment)
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        instance = session.get(ProcessInstance, code)
        sent = session.scalar(
            select(OutboxEntry.id).where(
                OutboxEntry.instance_id == code, OutboxEntry.kind == SURVEY_NOTICE
            )
        )
        if instance is None or sent is None or not _reaches(principal, instance.office):
            raise errors.NotFound(f"no closure survey {code}")
        answered = session.scalar(
            select(OutcomeRecord.id).where(
                OutcomeRecord.instance_id == code, OutcomeRecord.kind == "survey"
            )
        )
        if answered is not None:
            raise errors.Conflict("this survey was already answered")
        data = json.loads(instance.data_json)
        need, partner = data.get("need"), data.get("partner")
        outcomes.add_rows(
            session,
            [
                outcomes.OutcomeRow(
                    "survey",
                    row.result,
                    row.reason,
                    need if isinstance(need, str) else None,
                    partner if isinstance(partner, str) else None,
                )
                for row in rows
            ],
            office=instance.office,
            case_key=instance.business_key,
            case_id=instance.case_id,
            instance_id=instance.id,
            task_id=None,
            actor=principal.username,
            now=now,
            zone=_zone(svc, instance.office),
        )
        record(
            session,
            at=now,
            actor=principal.username,
            action="survey.answer",
            instance_id=instance.id,
            questions=sorted(answers),
        )
    return len(rows)


def _rows(answers: Mapping[str, Any], comment: str) -> list[outcomes.OutcomeRow]:
    if not answers:
        raise errors.Invalid("answer at least one question", field="answers")
    rows = []
    for question, answer in sorted(answers.items()):
        allowed = QUESTIONS.get(question)
        if allowed is None:
            raise errors.Invalid(f"unknown question {question!r}", field=f"answers.{question}")
        text = str(answer).lower() if not isinstance(answer, bool) else ("yes" if answer else "no")
        if text not in allowed:
            raise errors.Invalid(
                f"{question} must be one of {', '.join(allowed)}", field=f"answers.{question}"
            )
        rows.append(outcomes.OutcomeRow("survey", f"{question}={text}"))
    if comment.strip():
        first = rows[0]
        rows[0] = outcomes.OutcomeRow(first.kind, first.result, comment.strip()[:2000])
    return rows


def _reaches(principal: Principal, office: str) -> bool:
    return policy.may(principal, policy.Action.ANSWER_SURVEY) and (
        policy.is_admin(principal) or principal.office == office
    )


def _zone(svc: Services, office: str) -> ZoneInfo:
    return ZoneInfo(svc.runtime.calendar_for(office).timezone)
