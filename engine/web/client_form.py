"""The client block of the "New case" page, rendered and read by the same form machinery as
every task form (formview/formparse), so its inputs, errors and French work the same way.

The JSON Schema below words the block for people; the API's own parser of a client
(`engine.api.case_schemas.ClientSchema`) stays the judge of what a client record may hold, so
the page accepts exactly what `POST /api/cases` accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError

from engine.api.case_schemas import ClientSchema
from engine.cases.records import Client
from engine.definitions.forms import FormInvalid, validate_submission
from engine.web.formparse import explain as explain_form

ROOT = "client"
PHONE_PATTERN = r"^\+?[0-9 ()\-.x]{7,40}$"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [ROOT],
    "properties": {
        ROOT: {
            "type": "object",
            "title": "Client",
            "x-title-fr": "Client",
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "title": "Name",
                    "x-title-fr": "Nom",
                    "minLength": 1,
                    "maxLength": 200,
                },
                "preferred_language": {
                    "type": "string",
                    "title": "Preferred language",
                    "x-title-fr": "Langue préférée",
                    "enum": ["en", "fr"],
                    "x-enum-labels": {"en": "English", "fr": "French"},
                    "x-enum-labels-fr": {"en": "Anglais", "fr": "Français"},
                },
                "date_of_birth": {
                    "type": "string",
                    "format": "date",
                    "title": "Date of birth",
                    "x-title-fr": "Date de naissance",
                },
                "email": {
                    "type": "string",
                    "format": "email",
                    "maxLength": 200,
                    "title": "Email",
                    "x-title-fr": "Courriel",
                },
                "phone": {
                    "type": "string",
                    "pattern": PHONE_PATTERN,
                    "title": "Phone",
                    "x-title-fr": "Téléphone",
                },
                "address": {
                    "type": "string",
                    "maxLength": 400,
                    "title": "Mailing address",
                    "x-title-fr": "Adresse postale",
                },
                "safe_contact": {
                    "type": "boolean",
                    "title": "Safe contact: do not leave messages, do not mail",
                    "x-title-fr": "Contact sécuritaire : ne pas laisser de message, ne rien poster",
                },
                "interpreter_needed": {
                    "type": "boolean",
                    "title": "Interpreter needed",
                    "x-title-fr": "Besoin d'un interprète",
                },
            },
        }
    },
}
UI: dict[str, Any] = {ROOT: {"address": {"ui:widget": "textarea"}}}


def read_client(data: Mapping[str, Any]) -> tuple[Client | None, dict[str, str]]:
    """The client from the parsed block, or the errors by field path (in the page's language)."""
    try:
        validate_submission(SCHEMA, dict(data))
    except FormInvalid as exc:
        errors, _general = explain_form(SCHEMA, data, exc.errors)
        return None, errors
    block = dict(data.get(ROOT) or {})
    contact = {k: block.pop(k) for k in ("email", "phone", "address") if k in block}
    try:
        loaded = ClientSchema().load({**block, "contact": contact})
    except ValidationError as exc:  # the API's rules: worded generally, placed on the field
        return None, {_path(name): _("Check this field.") for name in _flat(exc.messages)}
    found = loaded.get("contact") or {}
    birth = loaded.get("date_of_birth")
    return Client(
        name=loaded["name"].strip(),
        preferred_language=loaded.get("preferred_language"),
        date_of_birth=birth if isinstance(birth, date) else None,
        email=found.get("email"),
        phone=found.get("phone"),
        address=found.get("address"),
        safe_contact=bool(loaded["safe_contact"]),
        interpreter_needed=bool(loaded["interpreter_needed"]),
    ), {}


def _flat(messages: Any, prefix: str = "") -> list[str]:
    if not isinstance(messages, Mapping):
        return [prefix]
    out: list[str] = []
    for key, value in messages.items():
        out += _flat(value, f"{prefix}.{key}" if prefix else str(key))
    return out


def _path(name: str) -> str:
    """ClientSchema's `contact.email` is the block's `client.email`."""
    return f"{ROOT}.{name.removeprefix('contact.')}"
