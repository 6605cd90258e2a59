"""Server-rendered pages; for now the home page that says where things are."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from engine.api.context import services
from engine.deploy import count_definitions

pages = Blueprint("pages", __name__, template_folder="templates")


@pages.get("/")
def home() -> str:
    with services().sessions() as session:
        definitions = count_definitions(session)
    return render_template("home.html", definitions=definitions)


def init_web(app: Flask) -> None:
    app.register_blueprint(pages)
