"""Ask an applicant for the documents still needed to verify eligibility."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.registry import HandlerContext, HandlerInputError, HandlerRegistry, OutboxMessage

DOCUMENTS = {
    "identification": "Photo identification",
    "sin": "Social Insurance Number",
    "proof_of_address": "Proof of address",
    "housing_costs": "Rent or housing costs",
    "bank_statements": "Bank statements for the last 3 months",
    "income_proof": "Proof of income",
    "immigration_status": "Immigration status documents",
    "child_support": "Custody or support orders",
}
NOTICE_CHANNELS = ("mail", "email")


def request_documents(
    ctx: HandlerContext, *, recipient: str, documents: list, due_days: int, channel: str = "mail"
) -> dict[str, Any]:
    """Send the document request notice; the answer says what was asked and by when."""
    if not recipient.strip():
        raise HandlerInputError("request_documents: recipient is empty")
    if channel not in NOTICE_CHANNELS:
        raise HandlerInputError("request_documents: channel must be mail or email")
    if not documents:
        raise HandlerInputError("request_documents: no documents to request")
    unknown = [d for d in documents if d not in DOCUMENTS]
    if unknown:
        raise HandlerInputError(f"request_documents: unknown document(s) {unknown}")
    if len(set(documents)) != len(documents):
        raise HandlerInputError("request_documents: a document is listed twice")
    if due_days <= 0:
        raise HandlerInputError("request_documents: due_days must be positive")
    due_on = (ctx.now + timedelta(days=due_days)).date().isoformat()
    ctx.emit(
        OutboxMessage(
            channel=channel,
            recipient=recipient,
            subject="documents_request",
            payload={"documents": list(documents), "due_on": due_on},
            kind="documents_request",
        )
    )
    return {"requested": list(documents), "requested_at": ctx.now.isoformat(), "due_on": due_on}


def register(registry: HandlerRegistry) -> None:
    registry.register("request_documents", request_documents)
