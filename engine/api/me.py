"""Who am I: lets clients show the signed-in user's office and queues."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.api.auth import current_principal
from engine.api.schemas import MeSchema

blp = Blueprint("me", __name__, url_prefix="/api/me")


@blp.route("")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> dict:
        principal = current_principal()
        return {
            "username": principal.username,
            "office": principal.office,
            "roles": sorted(principal.roles),
        }
