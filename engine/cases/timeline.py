"""One timeline across all of a case's processes, newest first, in the reader's language.

Built from the audit trail (what happened, who, when), the completed tasks' submissions (shown
through their form schemas, see values.py), notes and attachments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases.closing import reason_label
from engine.cases.values import readable
from engine.casework.commands import task_form
from engine.definitions import texts as diagram_texts
from engine.services import Services
from engine.store.models import (
    AuditEvent,
    Case,
    CaseAttachment,
    CaseNote,
    Definition,
    HumanTask,
    ProcessInstance,
)

MAX_ENTRIES = 500
LATER = 10**15  # notes and attachments sort after the audited events of the same instant


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    kind: str
    title: str
    entries: list[dict[str, str]]
    # Orders entries of the same instant: audit order, the case's opening first of all.
    seq: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind,
            "title": self.title,
            "entries": self.entries,
        }


# action → (kind, English title, French title); `{process}` / `{step}` filled in.
TITLES: dict[str, tuple[str, str, str]] = {
    "case.open": ("case", "Case opened", "Dossier ouvert"),
    "case.close": ("case", "Case closed", "Dossier fermé"),
    "case.transfer": ("case", "Case transferred", "Dossier transféré"),
    "case.owner": ("case", "Case owner changed", "Responsable du dossier changé"),
    "instance.start": ("process", "Started: {process}", "Démarré : {process}"),
    "instance.completed": ("process", "Finished: {process}", "Terminé : {process}"),
    "instance.terminated": ("process", "Stopped: {process}", "Arrêté : {process}"),
    "instance.retry": ("process", "Step run again: {process}", "Étape relancée : {process}"),
    "instance.data_fix": ("process", "Case data corrected", "Données du dossier corrigées"),
    "incident.open": ("incident", "Problem in {process}", "Problème dans {process}"),
    "task.escalate": ("task", "Deadline passed: {step}", "Échéance dépassée : {step}"),
    "task.complete": ("task", "{step}", "{step}"),
    "deadline.move": ("task", "Deadline moved: {step}", "Échéance déplacée : {step}"),
    "clock.stop": (
        "task",
        "Clock stopped, waiting on client: {step}",
        "Chronomètre arrêté, en attente du client : {step}",
    ),
    "clock.resume": ("task", "Clock restarted: {step}", "Chronomètre relancé : {step}"),
}
LABELS: dict[str, tuple[str, str]] = {
    "reason": ("Reason", "Motif"),
    "from": ("From office", "Bureau d'origine"),
    "to": ("To office", "Bureau de destination"),
    "owner": ("Owner", "Responsable"),
    "error": ("Error", "Erreur"),
    "step": ("Step", "Étape"),
    "fields": ("Fields", "Champs"),
    "note": ("Note", "Note"),
    "edited": ("Edited", "Modifiée"),
    "file": ("File", "Fichier"),
    "type": ("Type", "Type"),
    "size": ("Size", "Taille"),
    "nobody": ("nobody", "personne"),
    "was_due": ("Was due", "Échéance précédente"),
    "now_due": ("Now due", "Nouvelle échéance"),
    "why": ("Why", "Pourquoi"),
    "stopped": ("Business hours stopped", "Heures ouvrables arrêtées"),
}


def build(session: Session, svc: Services, case: Case, language: str) -> list[dict[str, Any]]:
    zone = ZoneInfo(svc.settings.default_timezone)
    text = _Words(language, diagram_texts.catalog_directory(svc.settings.workflows_dir))
    instances = {
        i.id: i
        for i in session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    }
    names = _process_names(session, {i.definition_id for i in instances.values()})
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(AuditEvent.case_id == case.id, AuditEvent.instance_id.in_(list(instances))),
            AuditEvent.action.in_(list(TITLES)),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(MAX_ENTRIES)
    ).all()
    completed = _completed_tasks(session, [e.task_id for e in events if e.task_id])

    def process(instance_id: str | None) -> str:
        instance = instances.get(instance_id or "")
        if instance is None:
            return ""
        return text.diagram(names.get(instance.definition_id, instance.process_id))

    def form(task: HumanTask) -> dict[str, Any] | None:
        instance = instances.get(task.instance_id)
        found = task_form(session, instance.definition_id, task.form_key, svc) if instance else None
        return found.schema if found is not None else None

    rows = [_event(e, text, process, completed, form, zone) for e in events]
    rows += [_note(n, text) for n in _of_case(session, CaseNote, case.id)]
    rows += [_attachment(a, text) for a in _of_case(session, CaseAttachment, case.id)]
    rows.sort(key=lambda r: (r.at, r.seq), reverse=True)
    return [r.as_dict() for r in rows[:MAX_ENTRIES]]


class _Words:
    def __init__(self, language: str, catalog: Path) -> None:
        self.fr = language == "fr"
        self.language = "fr" if self.fr else "en"
        self.catalog = catalog

    def diagram(self, text: str) -> str:
        """A task or process name from a diagram, from the diagrams' catalog."""
        return diagram_texts.translate(self.catalog, text, self.language)

    def title(self, action: str, **values: str) -> tuple[str, str]:
        kind, en, fr = TITLES[action]
        return kind, (fr if self.fr else en).format(**values)

    def label(self, key: str) -> str:
        en, fr = LABELS[key]
        return fr if self.fr else en

    def row(self, key: str, value: Any) -> dict[str, str]:
        return {"label": self.label(key), "value": str(value)}


def _event(
    event: AuditEvent,
    text: _Words,
    process: Callable[[str | None], str],
    completed: dict[str, HumanTask],
    form: Callable[[HumanTask], dict[str, Any] | None],
    zone: ZoneInfo,
) -> Entry:
    detail = json.loads(event.detail_json or "{}")
    task = completed.get(event.task_id or "")
    step = text.diagram(
        task.title if task else str(detail.get("task_name") or detail.get("element") or "")
    )
    if not step and event.action == "deadline.move":
        step = str(detail.get("timer") or "")
    kind, title = text.title(event.action, process=process(event.instance_id), step=step)
    entries: list[dict[str, str]] = []
    if event.action == "task.complete" and task is not None and task.submitted_json:
        entries = readable(form(task), json.loads(task.submitted_json), text.language, zone)
    elif event.action == "case.close":
        entries = [text.row("reason", reason_label(str(detail.get("reason")), text.language))]
    elif event.action == "case.transfer":
        entries = [text.row("from", detail.get("office")), text.row("to", detail.get("to_office"))]
    elif event.action == "case.owner":
        entries = [text.row("owner", detail.get("owner") or text.label("nobody"))]
    elif event.action == "incident.open":
        entries = [text.row("step", step)] if step else []
        entries.append(text.row("error", detail.get("message", "")))
    elif event.action == "deadline.move":
        entries = [
            text.row("was_due", _local(detail.get("from"), zone)),
            text.row("now_due", _local(detail.get("to"), zone)),
            text.row("why", detail.get("cause", "")),
        ]
    elif event.action == "clock.resume":
        entries = [text.row("stopped", detail.get("business_hours", ""))]
    elif event.action == "instance.data_fix":
        entries = [text.row("fields", ", ".join(detail.get("fields", [])))]
    seq = -1 if event.action == "case.open" else event.id
    return Entry(event.at, event.actor, kind, title, entries, seq)


def _local(value: Any, zone: ZoneInfo) -> str:
    """An ISO time from an audit detail, as office wall time."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def _note(note: CaseNote, text: _Words) -> Entry:
    entries = [text.row("note", note.body)]
    if note.edited_at is not None:
        entries.append(text.row("edited", note.edited_at.isoformat()))
    return Entry(note.created_at, note.author, "note", text.label("note"), entries, LATER + note.id)


def _attachment(item: CaseAttachment, text: _Words) -> Entry:
    title = "Document ajouté" if text.fr else "Document added"
    entries = [
        text.row("file", item.filename),
        text.row("type", item.content_type),
        text.row("size", _size(item.size_bytes, text.fr)),
    ]
    return Entry(item.uploaded_at, item.uploaded_by, "attachment", title, entries, LATER + item.id)


def _size(size: int, fr: bool) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} {'Ko' if fr else 'KB'}"
    megabytes = f"{size / (1024 * 1024):.1f}"
    return f"{megabytes.replace('.', ',') if fr else megabytes} {'Mo' if fr else 'MB'}"


def _process_names(session: Session, definition_ids: set[int]) -> dict[int, str]:
    if not definition_ids:
        return {}
    rows = session.execute(
        select(Definition.id, Definition.name).where(Definition.id.in_(definition_ids))
    )
    return {definition_id: name for definition_id, name in rows}


def _completed_tasks(session: Session, task_ids: list[str]) -> dict[str, HumanTask]:
    if not task_ids:
        return {}
    rows = session.scalars(select(HumanTask).where(HumanTask.id.in_(set(task_ids))))
    return {t.id: t for t in rows}


def _of_case(session: Session, model: Any, case_id: int) -> list[Any]:
    return list(session.scalars(select(model).where(model.case_id == case_id).limit(MAX_ENTRIES)))
