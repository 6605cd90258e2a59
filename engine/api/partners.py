"""The partner directory of an office: who receives referrals, how, and in which languages."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.schemas import PageArgs
from engine.casework.unit_of_work import changing
from engine.delivery import partners
from engine.delivery.secrets import SecretBox
from handlers.referrals import NEEDS

blp = Blueprint("partners", __name__, url_prefix="/api/partners")

KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,79}$", error="lower snake case, as diagrams name it")
URL = validate.URL(schemes={"http", "https"}, require_tld=False)


class PartnerFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    services = fields.List(fields.String(validate=validate.OneOf(list(NEEDS))))
    languages = fields.List(
        fields.String(validate=validate.OneOf(["en", "fr"])), validate=validate.Length(min=1)
    )
    webhook_url = fields.String(allow_none=True, validate=URL)
    contact_email = fields.Email(allow_none=True)
    account = fields.String(
        allow_none=True, metadata={"description": "its API user (role partner)"}
    )
    active = fields.Boolean()


class PartnerCreate(PartnerFields):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    office = fields.String(
        validate=validate.Length(min=1, max=80),
        metadata={"description": "admins only; default: your office"},
    )
    secret = fields.String(
        validate=validate.Length(min=16, max=200),
        metadata={"description": "webhook signing secret; omitted: generated and shown once"},
    )


class PartnerPatch(PartnerFields):
    rotate_secret = fields.Boolean(metadata={"description": "new secret, shown once"})


class PartnerSchema(Schema):
    id = fields.Integer()
    office = fields.String()
    key = fields.String()
    name = fields.String()
    services = fields.List(fields.String())
    languages = fields.List(fields.String())
    webhook_url = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    account = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    secret = fields.String(metadata={"description": "only in the answer that made it"})


class PartnerPage(Schema):
    items = fields.List(fields.Nested(PartnerSchema))
    total = fields.Integer()


class PartnerListArgs(PageArgs):
    office = fields.String(validate=validate.Length(min=1, max=80))


@blp.route("")
class Partners(MethodView):
    @blp.arguments(PartnerListArgs, location="query")
    @blp.response(200, PartnerPage)
    def get(self, args: dict) -> dict:
        principal = current_principal()
        with services().readers() as session:
            rows, total = partners.list_partners(
                session, principal, args.get("office"), args["limit"], args["offset"]
            )
            return {"items": [partners.partner_dict(session, p) for p in rows], "total": total}

    @blp.arguments(PartnerCreate)
    @blp.response(201, PartnerSchema)
    def post(self, args: dict) -> dict:
        svc = services()
        principal = current_principal()
        box = SecretBox.from_settings(svc.settings)
        with changing(svc) as session:
            saved = partners.create_partner(session, principal, args, box, svc.clock.now())
            return partners.partner_dict(session, saved.partner, saved.secret)


@blp.route("/<int(max=2147483647):partner_id>")
class OnePartner(MethodView):
    @blp.response(200, PartnerSchema)
    def get(self, partner_id: int) -> dict:
        principal = current_principal()
        with services().readers() as session:
            partner = partners.get_partner(session, principal, partner_id)
            return partners.partner_dict(session, partner)

    @blp.arguments(PartnerPatch)
    @blp.response(200, PartnerSchema)
    def patch(self, args: dict, partner_id: int) -> dict:
        svc = services()
        principal = current_principal()
        box = SecretBox.from_settings(svc.settings)
        with changing(svc) as session:
            saved = partners.update_partner(
                session, principal, partner_id, args, box, svc.clock.now()
            )
            return partners.partner_dict(session, saved.partner, saved.secret)
