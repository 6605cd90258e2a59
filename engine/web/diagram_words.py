"""Process names instead of process ids on the pages, in the page's language."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import select

from engine.api.context import services
from engine.store.models import Definition
from engine.web.i18n import diagram_text


def init_diagram_words(app: Flask) -> None:
    app.jinja_env.globals.update(process_title=process_title)


def process_title(process_id: str | None) -> str:
    """The latest deployed name of `process_id`, translated; the id itself when it has none."""
    if not process_id:
        return ""
    names: dict[str, str] | None = g.get("_process_names")
    if names is None:
        names = g._process_names = _names()
    return diagram_text(names.get(process_id) or process_id)


def _names() -> dict[str, str]:
    with services().readers() as session:
        rows = session.execute(
            select(Definition.process_id, Definition.name).order_by(Definition.version)
        )
        return {process_id: name for process_id, name in rows if name}
