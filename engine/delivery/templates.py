"""Notice templates: `notices/<kind>.<lang>.txt`, Jinja2, first line `Subject: …`.

Rendered at dispatch with the client, the case, the decision data (`data`), the office and the
configured service standards through `standard("…")` — never a figure written into the text.
Every kind must exist in every language (`caseway validate` renders each with the sample data in
`notices/<kind>.sample.json`), so a French client never gets an English letter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jinja2

from engine.deadlines.standards import standard_function
from engine.delivery.offices import OfficeDirectory
from engine.delivery.recipients import LANGUAGES, Client

NBSP = "\u00a0"
TEMPLATE_NAME = re.compile(r"([a-z][a-z0-9_]*)\.([a-z]{2})\.txt")
MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre".split(),
}


class TemplateProblem(Exception):
    """A notice cannot be rendered: missing template or translation, or an error in it."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class NoticeTemplates:
    def __init__(
        self, directory: Path, standards: Mapping[str, Any], offices: OfficeDirectory
    ) -> None:
        self.directory = directory
        self.standards = dict(standards)
        self.offices = offices
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
        )
        self._env.filters["longdate"] = _long_date
        self._env.filters["money"] = _money
        self._env.filters["add_days"] = _add_days

    def kinds(self) -> dict[str, set[str]]:
        """kind → the languages it has a template in."""
        found: dict[str, set[str]] = {}
        for path in sorted(self.directory.glob("*.txt")):
            match = TEMPLATE_NAME.fullmatch(path.name)
            if match:
                found.setdefault(match[1], set()).add(match[2])
        return found

    def render(
        self,
        kind: str,
        language: str,
        *,
        client: Client | None,
        case: Mapping[str, Any],
        data: Mapping[str, Any],
        notice: Mapping[str, Any] | None = None,
        interpreter: bool = True,
    ) -> Rendered:
        """`notice`: about this message itself (`queued_on` date, `channel`)."""
        if language not in LANGUAGES:
            raise TemplateProblem(f"no notices in language {language!r}")
        office = self.offices.get(str(case.get("office", "")))
        context = {
            "client": (
                client.as_context()
                if client
                else {"name": "", "language": language, "interpreter_needed": False}
            ),
            "case": dict(case),
            "data": dict(data),
            "office": office.context(language),
            "language": language,
            "notice": {"queued_on": "2027-01-04", "channel": "email", **(notice or {})},
            "standard": standard_function(self.standards),
        }
        try:
            template = self._env.get_template(f"{kind}.{language}.txt")
            text = template.render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"no {language} template for notice {kind!r}") from exc
        except (jinja2.TemplateError, KeyError, TypeError, ValueError) as exc:
            raise TemplateProblem(f"notice {kind!r} ({language}): {exc}") from exc
        rendered = _split(kind, language, text)
        if interpreter and client is not None and client.interpreter_needed:
            line = office.interpreter_line(language)
            rendered = Rendered(rendered.subject, f"{rendered.body}\n\n{line}")
        return rendered

    def validate(self) -> list[str]:
        """Every problem a deploy should stop on: each kind in every language, rendered with its
        sample data for a client who needs an interpreter."""
        problems = []
        for kind, languages in sorted(self.kinds().items()):
            for language in LANGUAGES:
                if language not in languages:
                    problems.append(f"notices/{kind}.{language}.txt: missing translation")
                    continue
                try:
                    sample = self.sample(kind)
                    self.render(
                        kind,
                        language,
                        client=Client("Sample Client", language, interpreter_needed=True),
                        case={"key": "CASE-SAMPLE-1", "office": "sample"},
                        data=sample,
                    )
                except TemplateProblem as exc:
                    problems.append(f"notices/{kind}.{language}.txt: {exc}")
        return problems

    def sample(self, kind: str) -> dict[str, Any]:
        path = self.directory / f"{kind}.sample.json"
        if not path.exists():
            return {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise TemplateProblem(f"{path.name}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise TemplateProblem(f"{path.name}: expected a JSON object")
        return loaded


def _split(kind: str, language: str, text: str) -> Rendered:
    head, _, body = text.strip().partition("\n")
    if not head.startswith("Subject:"):
        raise TemplateProblem(f"notice {kind!r} ({language}): the first line is not 'Subject: …'")
    subject = head.removeprefix("Subject:").strip()
    if not subject:
        raise TemplateProblem(f"notice {kind!r} ({language}): the subject is empty")
    return Rendered(subject, body.strip())


def _long_date(value: Any, language: str = "en") -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    month = MONTHS[language if language in MONTHS else "en"][day.month - 1]
    if language == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


def _add_days(value: Any, days: Any) -> str:
    return (date.fromisoformat(str(value)[:10]) + timedelta(days=int(days))).isoformat()


def _money(value: Any, language: str = "en") -> str:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if language == "fr":
        whole, cents = f"{amount:,.2f}".split(".")
        return whole.replace(",", NBSP) + "," + cents + NBSP + "$"
    return f"${amount:,.2f}"
