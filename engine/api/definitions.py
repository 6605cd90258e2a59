"""Designers deploy diagrams; anyone signed in can list them and read the deployed XML."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from engine import errors, policy
from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.schemas import DefinitionPage, DeployResult, DeployWarningSchema, PageArgs
from engine.casework import commands
from engine.definitions.compile import SourceFile, compile_bundle, split_uploads
from engine.definitions.deploy import Deployed, definition_version, list_definitions
from engine.definitions.forms import FormSource
from engine.definitions.xmlsafe import UnsafeXml, parse_untrusted
from engine.store.models import DefinitionFile

blp = Blueprint("definitions", __name__, url_prefix="/api/definitions")

UPLOAD_BODY = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
            }
        }
    }
}


class ValidatedProcess(Schema):
    process_id = fields.String()
    name = fields.String()
    user_tasks = fields.Integer()


class ValidateResult(Schema):
    processes = fields.List(fields.Nested(ValidatedProcess))
    warnings = fields.List(fields.Nested(DeployWarningSchema))


@blp.route("")
class Definitions(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, DefinitionPage)
    def get(self, args: dict) -> dict:
        current_principal()
        with services().readers() as session:
            rows = list_definitions(session)
        items = [
            {"process_id": pid, "name": name, "versions": versions, "latest_version": versions[-1]}
            for pid, name, versions in rows
        ]
        return {
            "items": items[args["offset"] : args["offset"] + args["limit"]],
            "total": len(items),
        }

    @blp.response(201, DeployResult)
    @blp.doc(requestBody=UPLOAD_BODY)
    def post(self) -> dict:
        """Upload one or more .bpmn/.dmn files (and .json forms) as `file` parts; deploy."""
        principal = current_principal()
        svc = services()
        deployed = commands.deploy_files(svc, principal, uploaded_files())
        return {"deployed": [d.as_dict() for d in deployed], **deploy_notes(deployed)}


@blp.route("/validate")
class ValidateDefinitions(MethodView):
    @blp.response(200, ValidateResult)
    @blp.doc(requestBody=UPLOAD_BODY)
    def post(self) -> dict:
        """Check diagrams exactly as a deploy would, without deploying (the modeler's check):
        200 with the processes found, or 422 with the errors by file and element id."""
        principal = current_principal()
        if not policy.may(principal, policy.Action.DESIGN):
            raise errors.Forbidden("only designers can validate definitions")
        svc = services()
        diagrams, forms = split_uploads(uploaded_files())
        compiled = compile_bundle(
            diagrams,
            FormSource(svc.settings.forms_dir, forms),
            svc.registry,
            commands.compile_options(svc),
        )
        warnings = list(dict.fromkeys(w for c in compiled for w in c.warnings))
        return {
            "processes": [
                {"process_id": c.process_id, "name": c.name, "user_tasks": len(c.user_tasks)}
                for c in compiled
            ],
            "warnings": [w.as_dict() for w in warnings],
        }


def deploy_notes(deployed: list[Deployed]) -> dict[str, list[dict[str, Any]]]:
    """The deploy's warnings, and an offer to create each queue it named that does not exist."""
    warnings = list(dict.fromkeys(w for d in deployed for w in d.warnings))
    missing = sorted({key for d in deployed for key in d.missing_queues})
    offers = [
        {
            "key": key,
            "create": {
                "method": "POST",
                "href": "/api/queues",
                "body": {"key": key, "title_en": key.replace("_", " ").capitalize()},
            },
            "cli": f"caseway queues add {key} --role supervisor",
        }
        for key in missing
    ]
    return {"warnings": [w.as_dict() for w in warnings], "missing_queues": offers}


def uploaded_files() -> list[SourceFile]:
    limit = services().settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the upload is larger than {limit} bytes")
    uploads = request.files.getlist("file")
    if not uploads:
        raise BadRequest("send the diagrams as multipart/form-data parts named 'file'")
    files = []
    for upload in uploads:
        content = upload.read(limit + 1)
        if len(content) > limit:
            raise RequestEntityTooLarge(f"{upload.filename} is larger than {limit} bytes")
        files.append(SourceFile(upload.filename or "upload.bpmn", content))
    return files


@blp.route("/<process_id>/versions/<int(max=2147483647):version>/xml")
class DefinitionXml(MethodView):
    @blp.response(200, content_type="application/xml")
    def get(self, process_id: str, version: int) -> Response:
        current_principal()
        with services().readers() as session:
            definition = definition_version(session, process_id, version)
            if definition is None:
                raise NotFound(f"no version {version} of process {process_id!r}")
            files = session.scalars(
                select(DefinitionFile).where(DefinitionFile.definition_id == definition.id)
            ).all()
        chosen = _file_with_process(list(files), process_id)
        return Response(chosen.content, mimetype="application/xml")


def _file_with_process(files: list[DefinitionFile], process_id: str) -> DefinitionFile:
    bpmn = [f for f in files if not f.filename.lower().endswith(".dmn")]
    for f in bpmn:
        try:
            root = parse_untrusted(f.content.encode("utf-8"))
        except UnsafeXml:
            continue
        for node in root.iter("{*}process"):
            if node.get("id") == process_id:
                return f
    if not bpmn:
        raise NotFound("no BPMN file stored for this version")
    return bpmn[0]
