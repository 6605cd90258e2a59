"""What notices say about the office: its name, phone, address and interpreter line.

Configured per office in a JSON file (CASEWAY_OFFICES_CONFIG): `{"sudbury": {"name": {"en":
…, "fr": …}, "phone": …, "address": …, "interpreter": {"en": …, "fr": …}}}`; an office not
listed gets neutral defaults, so a notice never fails for want of office details.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_INTERPRETER = {
    "en": "If you need an interpreter, tell us: we will arrange one at no cost to you.",
    "fr": (
        "Si vous avez besoin d'un interprète, dites-le-nous : nous en trouverons un, "
        "sans frais pour vous."
    ),
}


@dataclass(frozen=True)
class Office:
    key: str
    names: dict[str, str]
    phone: str
    address: str
    interpreter: dict[str, str]

    def context(self, language: str) -> dict[str, str]:
        return {
            "key": self.key,
            "name": self.names.get(language) or self.names.get("en") or self.key.title(),
            "phone": self.phone,
            "address": self.address,
        }

    def interpreter_line(self, language: str) -> str:
        return self.interpreter.get(language) or DEFAULT_INTERPRETER[language]


class OfficeDirectory:
    def __init__(self, configured: dict[str, dict[str, Any]] | None = None) -> None:
        self._configured = configured or {}

    def get(self, key: str) -> Office:
        entry = self._configured.get(key, {})
        names = entry.get("name", {})
        if isinstance(names, str):
            names = {"en": names, "fr": names}
        title = key.replace("_", " ").title()
        defaults = {
            "en": f"{title} Employment and Social Services",
            "fr": f"Services sociaux et d'emploi de {title}",
        }
        return Office(
            key=key,
            names={**defaults, **names},
            phone=str(entry.get("phone", "")),
            address=str(entry.get("address", "")),
            interpreter={**DEFAULT_INTERPRETER, **entry.get("interpreter", {})},
        )


def load_offices(path: Path | None) -> OfficeDirectory:
    if path is None:
        return OfficeDirectory()
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the office configuration: {exc}") from exc
    if not isinstance(loaded, dict) or not all(isinstance(v, dict) for v in loaded.values()):
        raise ValueError(f"{path}: expected a JSON object of office → settings")
    return OfficeDirectory(loaded)
