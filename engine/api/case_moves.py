"""Designers move running cases between versions of a process (dry run first)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.casework.case_moves import MigrationRequest, migrate

blp = Blueprint("migrations", __name__, url_prefix="/api/definitions")


class MigrationArgs(Schema):
    from_version = fields.Integer(required=True, validate=validate.Range(min=1))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1))
    instance_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        validate=validate.Length(max=10_000),
        metadata={"description": "only these cases (default: every running case of from_version)"},
    )
    dry_run = fields.Boolean(
        load_default=True, metadata={"description": "check only (the default); false moves"}
    )


class BlockerSchema(Schema):
    code = fields.String()
    task_name = fields.String(allow_none=True)
    message = fields.String()


class CaseCheckSchema(Schema):
    instance_id = fields.String()
    business_key = fields.String()
    status = fields.String()
    waiting = fields.List(fields.String())
    blockers = fields.List(fields.Nested(BlockerSchema))
    timers_from_move = fields.List(
        fields.String(),
        metadata={"description": "waiting steps that gain deadlines or events: they start now"},
    )


class MigrationResult(Schema):
    process_id = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    moved = fields.List(
        fields.Nested(CaseCheckSchema), metadata={"description": "dry run: would move"}
    )
    blocked = fields.List(fields.Nested(CaseCheckSchema))


@blp.route("/<process_id>/migrations")
class Migrations(MethodView):
    @blp.arguments(MigrationArgs)
    @blp.response(200, MigrationResult)
    def post(self, args: dict, process_id: str) -> dict:
        """Move running cases of `from_version` to `to_version`, or with `dry_run` (the
        default) list what would move and what blocks each case. Every move is audited."""
        wanted = MigrationRequest(
            process_id=process_id,
            from_version=args["from_version"],
            to_version=args["to_version"],
            instance_ids=tuple(args["instance_ids"]) if "instance_ids" in args else None,
            dry_run=args["dry_run"],
        )
        return migrate(services(), current_principal(), wanted).as_dict()
