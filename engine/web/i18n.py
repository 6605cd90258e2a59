"""English and French for the pages: Flask-Babel catalogs, the visitor's choice, form labels.

The language is the visitor's explicit choice (kept in the session across sign-in), else the
browser's preference, else English. Catalogs live in `translations/`; the compiled `.mo` is
committed beside its `.po` (a test checks it is current) so a clean clone and a wheel work
without a build step.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, request, session
from flask_babel import Babel, format_datetime, format_timedelta, get_locale

from engine.api.context import services
from engine.cases.values import readable
from engine.definitions import texts as diagram_texts

LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SESSION_LANG = "lang"
LABEL_LENGTH = 200  # longer diagram texts are documentation, never a shape's label

babel = Babel()


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app,
        default_locale="en",
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=select_locale,
        timezone_selector=_office_timezone,
    )
    app.jinja_env.globals.update(
        current_language=current_language,
        language_names=LANGUAGE_NAMES,
        localized=localized,
        readable_answers=readable_answers,
        diagram_labels=diagram_labels,
    )
    app.jinja_env.filters.update(when=when, relative=relative, wf=diagram_text)


def select_locale() -> str:
    chosen = session.get(SESSION_LANG)
    if chosen in LANGUAGES:
        return str(chosen)
    link_language = g.get("link_language")  # a client's self-service link: their language
    if link_language in LANGUAGES:
        return str(link_language)
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else LANGUAGES[0]


def choose_language(code: str) -> bool:
    if code not in LANGUAGES:
        return False
    session[SESSION_LANG] = code
    return True


def _office_timezone() -> str:
    return services().settings.default_timezone


def office_zone() -> ZoneInfo:
    """The zone dates are shown and read in (a zoneinfo zone: pytz's would need localize())."""
    return ZoneInfo(services().settings.default_timezone)


def localized(node: Mapping[str, Any] | None, key: str = "title", default: str = "") -> str:
    """`title` in English, `x-title-fr` in French (the forms' convention), falling back to the
    English text when a French one is missing."""
    if not node:
        return default
    if current_language() != "en":
        translated = node.get(f"x-{key}-{current_language()}")
        if isinstance(translated, str) and translated:
            return translated
    value = node.get(key)
    return value if isinstance(value, str) and value else default


def diagram_text(text: str | None) -> str:
    """A text from a diagram (task, process, lane name, instructions) in the page's language:
    the diagrams' own catalog (workflows/translations), English when it has no entry."""
    if not text:
        return ""
    language = current_language()
    if language == diagram_texts.SOURCE_LANGUAGE:
        return text
    return _diagram_messages(language).get(text.strip(), text)


def diagram_labels() -> dict[str, str]:
    """Every diagram text in the page's language, for relabelling shapes in the viewers."""
    language = current_language()
    if language == diagram_texts.SOURCE_LANGUAGE:
        return {}
    found = _diagram_messages(language)
    return {k: v for k, v in found.items() if len(k) <= LABEL_LENGTH}


def _diagram_messages(language: str) -> dict[str, str]:
    """The catalog, looked up once per request (a 500-row inbox asks for it 500 times)."""
    cached: dict[str, dict[str, str]] = g.setdefault("_diagram_messages", {})
    if language not in cached:
        directory = diagram_texts.catalog_directory(services().settings.workflows_dir)
        cached[language] = diagram_texts.all_translations(directory, language)
    return cached[language]


def readable_answers(answers: tuple[Mapping[str, Any], Any]) -> list[dict[str, str]]:
    """What a step's form received, labelled and worded from its schema in the page's language
    (choices by their labels, yes/no, dates written out), as on the case page's timeline."""
    schema, submitted = answers
    return readable(schema, submitted, current_language(), office_zone())


def when(moment: datetime | None) -> str:
    """A date and time in the office's zone, written the same unambiguous way in both languages."""
    if moment is None:
        return ""
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def relative(moment: datetime | None) -> str:
    """ "in 3 days" / "2 hours ago", localized, against the service clock (tests move it)."""
    if moment is None:
        return ""
    now = services().clock.now().astimezone(UTC)
    return format_timedelta(moment - now, add_direction=True, threshold=1.0)
