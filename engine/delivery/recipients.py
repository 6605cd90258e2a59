"""Who a client notice is for and how they may be reached — the one place that knows.

The client is the instance's case record (`client_case`: language, contact, safe contact,
interpreter). What the record leaves empty — a case opened by starting a process carries only
the name — comes from the instance data as the shipped forms store it (`client` or
`applicant`), else from the other instances of the same business key, earliest first. Safe
contact and interpreter hold when either source says so.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import Case, ProcessInstance

LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Client:
    name: str
    language: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None  # postal address lines
    safe_contact: bool = False
    interpreter_needed: bool = False

    def as_context(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "interpreter_needed": self.interpreter_needed,
        }


def client_of(session: Session, instance: ProcessInstance) -> Client | None:
    """The client of the instance's case, or None when nothing names one."""
    case = session.get(Case, instance.case_id) if instance.case_id is not None else None
    block = _client_block(_data(instance))
    if block is None:
        others = session.scalars(
            select(ProcessInstance)
            .where(
                ProcessInstance.office == instance.office,
                ProcessInstance.business_key == instance.business_key,
                ProcessInstance.id != instance.id,
            )
            .order_by(ProcessInstance.created_at)
        )
        block = next((b for b in map(_client_block, map(_data, others)) if b), None)
    from_block = client_from_block(block) if block is not None else None
    if case is None:
        return from_block
    return _merged(client_from_case(case), from_block, case.preferred_language is None)


def _merged(record: Client, data: Client | None, language_unset: bool) -> Client:
    if data is None:
        return record
    return Client(
        name=record.name or data.name,
        language=data.language if language_unset else record.language,
        email=record.email or data.email,
        phone=record.phone or data.phone,
        address=record.address or data.address,
        safe_contact=record.safe_contact or data.safe_contact,
        interpreter_needed=record.interpreter_needed or data.interpreter_needed,
    )


def client_from_case(case: Case) -> Client:
    return Client(
        name=case.client_name,
        language=normalize_language(case.preferred_language),
        email=case.email or None,
        phone=case.phone or None,
        address=case.address or None,
        safe_contact=bool(case.safe_contact),
        interpreter_needed=bool(case.interpreter_needed),
    )


def client_from_block(block: dict[str, Any]) -> Client:
    found = block.get("contact")
    contact: dict[str, Any] = found if isinstance(found, dict) else {}
    lines = [_text(block, "street_address"), _text(block, "municipality")]
    lines.append(_text(block, "postal_code"))
    address = _text(contact, "address") or "\n".join(line for line in lines if line)
    return Client(
        name=_text(block, "name"),
        language=normalize_language(block.get("preferred_language")),
        email=_text(contact, "email") or _text(block, "email") or None,
        phone=_text(contact, "phone") or _text(block, "phone") or None,
        address=address or None,
        safe_contact=bool(block.get("safe_contact", False)),
        interpreter_needed=bool(block.get("interpreter_needed", False)),
    )


def normalize_language(value: Any) -> str:
    """ "fr", "French", "français" → fr; anything else (or nothing) → en."""
    if not isinstance(value, str):
        return "en"
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return "fr" if folded.strip()[:2] == "fr" else "en"


def _data(instance: ProcessInstance) -> dict[str, Any]:
    try:
        loaded = json.loads(instance.data_json or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _client_block(data: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("client", "applicant"):
        block = data.get(key)
        if isinstance(block, dict) and block.get("name"):
            return block
    return None


def _text(block: dict[str, Any], key: str) -> str:
    value = block.get(key)
    return value.strip() if isinstance(value, str) else ""
