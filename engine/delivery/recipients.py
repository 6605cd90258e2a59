"""Who a client notice is for and how they may be reached — the one place that knows.

Until the case record (engine/cases) lands, the client block is read from the instance data as
the shipped forms store it (`client` or `applicant`), falling back to the other instances of the
same case (office + business key), earliest first: a plan review started without the
applicant block still reaches the applicant of the intake that opened the case.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import ProcessInstance

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
    """The client of the instance's case, or None when no instance of the case names one."""
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
    if block is None:
        return None
    return client_from_block(block)


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
