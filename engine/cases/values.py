"""Stored values as people read them: labels and values from the form schema, in English or
French (`title` / `x-title-fr`, `x-enum-labels` / `x-enum-labels-fr`), booleans as Yes/No,
dates written out, nested objects flattened ("Applicant › Name"), lists joined."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

SEPARATOR = " › "
YES_NO = {"en": ("Yes", "No"), "fr": ("Oui", "Non")}


def readable(
    schema: Mapping[str, Any] | None, data: Any, language: str, zone: ZoneInfo
) -> list[dict[str, str]]:
    """`[{label, value}]` for every answered field, in the form's order (fields the form does
    not describe last, their names made readable)."""
    if not isinstance(data, Mapping):
        return []
    return _Renderer(schema or {}, language, zone).object(schema or {}, data, "")


class _Renderer:
    def __init__(self, root: Mapping[str, Any], language: str, zone: ZoneInfo) -> None:
        self.root, self.language, self.zone = root, language, zone

    def object(
        self, node: Mapping[str, Any], data: Mapping[str, Any], prefix: str
    ) -> list[dict[str, str]]:
        properties = self._resolve(node).get("properties", {})
        names = [n for n in properties if n in data] + [n for n in data if n not in properties]
        rows: list[dict[str, str]] = []
        for name in names:
            field = self._resolve(properties.get(name, {}))
            rows += self.field(field, data[name], prefix + self.label(field, name))
        return rows

    def field(self, node: Mapping[str, Any], value: Any, label: str) -> list[dict[str, str]]:
        if value is None or value == "" or value == [] or value == {}:
            return []
        if isinstance(value, Mapping):
            return self.object(node, value, label + SEPARATOR)
        if isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
            items = self._resolve(node.get("items", {}))
            rows: list[dict[str, str]] = []
            for number, item in enumerate(value, start=1):
                rows += self.field(items, item, f"{label} {number}")
            return rows
        if isinstance(value, list):
            items = self._resolve(node.get("items", {}))
            return [{"label": label, "value": ", ".join(self.scalar(items, v) for v in value)}]
        return [{"label": label, "value": self.scalar(node, value)}]

    def scalar(self, node: Mapping[str, Any], value: Any) -> str:
        if isinstance(value, bool):
            yes, no = YES_NO.get(self.language, YES_NO["en"])
            return yes if value else no
        labels = self._localized_map(node, "x-enum-labels")
        if str(value) in labels:
            return labels[str(value)]
        if isinstance(value, str) and node.get("format") in ("date", "date-time"):
            return self.moment(value, node["format"])
        return str(value)

    def moment(self, text: str, kind: str) -> str:
        try:
            if kind == "date":
                return format_date(date.fromisoformat(text), "long", locale=self.language)
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is not None:
            moment = moment.astimezone(self.zone)
        return f"{format_date(moment.date(), 'long', locale=self.language)} {moment:%H:%M}"

    def label(self, node: Mapping[str, Any], name: str) -> str:
        if self.language != "en":
            translated = node.get(f"x-title-{self.language}")
            if isinstance(translated, str) and translated:
                return translated
        title = node.get("title")
        return title if isinstance(title, str) and title else humanize(name)

    def _localized_map(self, node: Mapping[str, Any], key: str) -> dict[str, str]:
        found = node.get(f"{key}-{self.language}") if self.language != "en" else None
        found = found or node.get(key) or {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}

    def _resolve(self, node: Any) -> Mapping[str, Any]:
        """Follow a local `$ref` (`#/$defs/referral`); anything else stays as it is."""
        if not isinstance(node, Mapping):
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node


def humanize(name: str) -> str:
    """`case_number` → "Case number" (for values no form describes)."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else name
