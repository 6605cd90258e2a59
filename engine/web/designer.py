"""Designer pages: the definitions with their versions, a read-only view of any version, the
bpmn-js modeler (validate and deploy through the JSON API), and moving running cases between
versions (engine.casework.case_moves)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from engine import policy
from engine.api.context import services
from engine.casework.case_moves import MigrationReport, MigrationRequest, migrate
from engine.definitions.compile import SourceFile
from engine.errors import CasewayError, Invalid
from engine.supervision.whatif import candidate_spec, what_if
from engine.web import designs
from engine.web.feedback import explain
from engine.web.guard import protect, require
from engine.web.modeler_text import modeler_text

design = protect(Blueprint("design", __name__))


@design.get("/definitions")
def definitions() -> str:
    require(policy.Action.DESIGN)
    with services().readers() as session:
        rows = designs.catalogue(session)
    return render_template("definitions.html", rows=rows)


@design.get("/definitions/<process_id>/versions/<int:version>")
def version(process_id: str, version: int) -> str:
    require(policy.Action.DESIGN)
    row = _process(process_id)
    if version not in [v.version for v in row.versions]:
        abort(404)
    return render_template("viewer.html", row=row, version=version)


@design.get("/modeler", defaults={"process_id": None, "version": None})
@design.get("/modeler/<process_id>/<int:version>")
def modeler(process_id: str | None, version: int | None) -> str:
    require(policy.Action.DESIGN)
    xml_url = url_for("assets.static", filename="diagrams/new.bpmn")
    if process_id is not None and version is not None:
        xml_url = url_for("definitions.DefinitionXml", process_id=process_id, version=version)
    return render_template(
        "modeler.html",
        xml_url=xml_url,
        process_id=process_id,
        version=version,
        text=modeler_text(),
    )


@design.route("/definitions/<process_id>/migrate", methods=["GET", "POST"])
def migration(process_id: str) -> tuple[str, int]:
    principal = require(policy.Action.DESIGN)
    row = _process(process_id)
    versions = [v.version for v in row.versions]
    source = request.values.get("from", type=int)
    target = request.values.get("to", type=int, default=versions[-1])
    report: MigrationReport | None = None
    problem = None
    if source is not None and target is not None:
        wanted = MigrationRequest(process_id, source, target, dry_run=request.method == "GET")
        try:
            report = migrate(services(), principal, wanted)
        except CasewayError as exc:
            problem = _("Choose two different versions.") if source == target else str(exc)
    page = render_template(
        "migrate.html", row=row, source=source, target=target, report=report, problem=problem
    )
    return page, 422 if problem else 200


@design.route("/definitions/<process_id>/whatif", methods=["GET", "POST"])
def whatif(process_id: str) -> tuple[str, int]:
    """Try a candidate version on the last weeks' cases: from the modeler (the diagram being
    edited) or an uploaded file. Nothing is deployed."""
    require(policy.Action.DESIGN)
    row = _process(process_id)
    weeks = request.form.get("weeks", type=int, default=8)
    report: dict[str, Any] | None = None
    problem = None
    if request.method == "POST":
        try:
            svc = services()
            candidate = candidate_spec(svc, process_id, _candidate_files(process_id))
            with svc.readers() as session:
                report = what_if(svc, session, process_id, candidate, weeks=weeks).as_dict()
        except CasewayError as exc:  # the server's own words: they name the element or field
            problem = str(exc) or explain(exc)
    page = render_template("whatif.html", row=row, weeks=weeks, report=report, problem=problem)
    return page, 422 if problem else 200


def _candidate_files(process_id: str) -> list[SourceFile]:
    """The modeler sends the diagram it shows as `xml`; the page's form sends `file` uploads."""
    if request.form.get("xml"):
        return [SourceFile(f"{process_id}.bpmn", request.form["xml"].encode())]
    uploads = [f for f in request.files.getlist("file") if f.filename]
    if not uploads:
        raise Invalid("choose the candidate .bpmn file", field="file")
    return [SourceFile(f.filename or "upload.bpmn", f.read()) for f in uploads]


def _process(process_id: str) -> designs.ProcessRow:
    with services().readers() as session:
        row = designs.process(session, process_id)
    if row is None:
        abort(404)
    return row
