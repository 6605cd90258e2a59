"""Parse, validate and fingerprint uploaded BPMN/DMN so a deploy either fully succeeds or says
exactly which file and element is wrong. Nothing here touches the database."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import (  # type: ignore[import-untyped]
    ValidationException,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException  # type: ignore[import-untyped]

from engine.forms import FormProblem, FormSource, FormSpec, parse_uploaded_form
from engine.runtime.spiff import new_parser, spec_to_json
from engine.scripting import ScriptError, check_expression, check_script
from engine.xmlsafe import UnsafeXml, parse_untrusted
from handlers import HandlerRegistry

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
DIAGRAM_SUFFIXES = (".bpmn", ".bpmn20.xml", ".dmn")


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes

    @property
    def is_dmn(self) -> bool:
        return self.name.lower().endswith(".dmn")


@dataclass(frozen=True)
class Problem:
    file: str
    element_id: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"file": self.file, "element_id": self.element_id, "message": self.message}


class DefinitionInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    title: str
    queue: str
    form_key: str | None


@dataclass(frozen=True)
class CompiledProcess:
    process_id: str
    name: str
    spec_json: str
    sha256: str
    files: tuple[SourceFile, ...]
    forms: Mapping[str, FormSpec]
    user_tasks: Mapping[str, UserTaskInfo] = field(default_factory=dict)


def queue_key(name: str) -> str:
    """Lane "Intake Worker" → queue `intake_worker` (DESIGN contract)."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def read_paths(paths: Iterable[Path]) -> list[SourceFile]:
    """Expand directories into their diagrams, in a stable order."""
    files: list[SourceFile] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.name.lower().endswith(DIAGRAM_SUFFIXES))
            files.extend(SourceFile(p.name, p.read_bytes()) for p in found)
        else:
            files.append(SourceFile(path.name, path.read_bytes()))
    return files


def split_uploads(files: list[SourceFile]) -> tuple[list[SourceFile], dict[str, FormSpec]]:
    """Separate diagrams from form parts; form problems become DefinitionInvalid."""
    diagrams, forms, ui, problems = [], {}, {}, []
    for f in files:
        lower = f.name.lower()
        if lower.endswith(".json"):
            try:
                key, parsed = parse_uploaded_form(f.name, f.content)
            except FormProblem as exc:
                problems.append(Problem(f.name, None, str(exc)))
                continue
            (forms if isinstance(parsed, FormSpec) else ui)[key] = parsed
        elif lower.endswith(DIAGRAM_SUFFIXES):
            diagrams.append(f)
        else:
            problems.append(Problem(f.name, None, "only .bpmn, .dmn and .json files are accepted"))
    if problems:
        raise DefinitionInvalid(problems)
    for key, ui_schema in ui.items():
        if key in forms:
            forms[key] = FormSpec(key, forms[key].schema, ui_schema)
    return diagrams, forms


def compile_bundle(
    files: list[SourceFile], forms: FormSource, registry: HandlerRegistry
) -> list[CompiledProcess]:
    """Everything a deploy needs, or DefinitionInvalid listing every problem found."""
    if not any(not f.is_dmn for f in files):
        raise DefinitionInvalid([Problem("", None, "no BPMN file was given")])
    parser = new_parser()
    problems: list[Problem] = []
    trees: dict[str, Any] = {}
    for f in files:
        try:
            tree = parse_untrusted(f.content)
        except UnsafeXml as exc:
            problems.append(Problem(f.name, None, str(exc)))
            continue
        problems.extend(_precheck(f, tree))
        trees[f.name] = tree
    if problems:
        raise DefinitionInvalid(problems)
    for f in sorted(files, key=lambda f: not f.is_dmn):
        try:
            if f.is_dmn:
                parser.add_dmn_xml(trees[f.name], filename=f.name)
            else:
                parser.add_bpmn_xml(trees[f.name], filename=f.name)
        except Exception as exc:  # every parser failure is reported, never raised as a 500
            problems.append(_problem_from(f.name, exc))
    if problems:
        raise DefinitionInvalid(problems)
    process_ids = parser.get_process_ids()
    if not process_ids:
        raise DefinitionInvalid(_non_executable(files, trees))
    compiled = []
    for pid in process_ids:
        try:
            compiled.append(_compile_process(parser, pid, files, forms, registry))
        except DefinitionInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionInvalid(problems)
    return compiled


def _compile_process(
    parser: Any, pid: str, files: list[SourceFile], forms: FormSource, registry: HandlerRegistry
) -> CompiledProcess:
    process_file = parser.get_process_parser(pid).filename or ""
    try:
        spec = parser.get_spec(pid)
        subprocess_specs = parser.get_subprocess_specs(pid)
    except Exception as exc:
        raise DefinitionInvalid([_problem_from(process_file, exc)]) from exc
    problems: list[Problem] = []
    used_forms: dict[str, FormSpec] = {}
    user_tasks: dict[str, UserTaskInfo] = {}
    for task_spec in _all_specs(spec, subprocess_specs):
        element = getattr(task_spec, "bpmn_id", None)
        problems.extend(_check_scripts(process_file, element, task_spec))
        if getattr(task_spec, "manual", False):
            info, task_problems = _user_task_info(process_file, task_spec, forms, used_forms)
            problems.extend(task_problems)
            if info is not None:
                user_tasks[info.bpmn_id] = info
        operator = getattr(task_spec, "operation_name", None)
        if operator is not None:
            problems.extend(_check_operator(process_file, element, task_spec, registry))
    if problems:
        raise DefinitionInvalid(problems)
    relevant = _relevant_files(parser, process_file, subprocess_specs, files)
    return CompiledProcess(
        process_id=pid,
        name=spec.description or pid,
        spec_json=spec_to_json(spec, subprocess_specs),
        sha256=_fingerprint(relevant, used_forms),
        files=tuple(relevant),
        forms=used_forms,
        user_tasks=user_tasks,
    )


def _relevant_files(
    parser: Any, process_file: str, subprocess_specs: Mapping[str, Any], files: list[SourceFile]
) -> list[SourceFile]:
    """The files this process is built from, so an unrelated edit does not version it."""
    names = {process_file}
    for name in subprocess_specs:
        sub_parser = parser.get_process_parser(name)
        if sub_parser is not None and sub_parser.filename:
            names.add(sub_parser.filename)
    return [f for f in files if f.name in names or f.is_dmn]


def _all_specs(spec: Any, subprocess_specs: Mapping[str, Any]) -> list[Any]:
    specs = list(spec.task_specs.values())
    for sub in subprocess_specs.values():
        specs.extend(sub.task_specs.values())
    return specs


def _user_task_info(
    file: str, task_spec: Any, forms: FormSource, used: dict[str, FormSpec]
) -> tuple[UserTaskInfo | None, list[Problem]]:
    props = dict((getattr(task_spec, "extensions", {}) or {}).get("properties", {}))
    element = task_spec.bpmn_id
    group = props.get("candidateGroups") or task_spec.lane
    if not group or not queue_key(group):
        message = "user task is in no lane and has no candidateGroups property: no queue gets it"
        return None, [Problem(file, element, message)]
    form_key = props.get("formKey") or _strip_schema_suffix(props.get("formJsonSchemaFilename"))
    if form_key:
        try:
            used[form_key] = forms.get(form_key)
        except FormProblem as exc:
            return None, [Problem(file, element, str(exc))]
    title = task_spec.bpmn_name or element
    return UserTaskInfo(element, title, queue_key(group), form_key), []


def _strip_schema_suffix(name: str | None) -> str | None:
    if not name:
        return None
    return Path(name).name.removesuffix(".json").removesuffix(".schema")


def _check_operator(file: str, element: str, task_spec: Any, registry: HandlerRegistry) -> list:
    handler = registry.get(task_spec.operation_name)
    if handler is None:
        known = ", ".join(registry.names()) or "none"
        message = f"service task operator {task_spec.operation_name!r} has no handler ({known})"
        return [Problem(file, element, message)]
    given = set(task_spec.operation_params)
    unknown = sorted(given - set(handler.params))
    missing = sorted(
        name for name, p in handler.params.items() if p.default is p.empty and name not in given
    )
    problems = [Problem(file, element, f"unknown handler parameter {name!r}") for name in unknown]
    problems += [Problem(file, element, f"missing handler parameter {name!r}") for name in missing]
    for name, param in task_spec.operation_params.items():
        problems += _expression_problem(file, element, param.get("value", ""), f"parameter {name}")
    return problems


def _check_scripts(file: str, element: str | None, task_spec: Any) -> list[Problem]:
    problems = []
    for attr in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attr, None)
        if source:
            try:
                check_script(source)
            except ScriptError as exc:
                problems.append(Problem(file, element, f"{attr}: {exc}"))
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        source = (getattr(condition, "args", None) or [None])[0]
        if isinstance(source, str) and source.strip():
            problems += _expression_problem(file, element, source, "condition")
    return problems


def _expression_problem(file: str, element: str | None, source: str, what: str) -> list[Problem]:
    try:
        check_expression(source)
    except ScriptError as exc:
        return [Problem(file, element, f"{what}: {exc}")]
    return []


def _precheck(f: SourceFile, tree: Any) -> list[Problem]:
    """Checks that keep SpiffWorkflow's parser from crashing on shapes it does not expect."""
    tag = etree.QName(tree).localname
    if tag != "definitions":
        return [Problem(f.name, None, f"root element is <{tag}>, expected <definitions>")]
    if f.is_dmn:
        return []
    problems = []
    for node in tree.iterfind(f".//{{{BPMN_NS}}}businessRuleTask"):
        refs = node.findall(f"./{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
        if not refs or not (refs[0].text or "").strip():
            message = "business rule task names no decision (spiffworkflow:calledDecisionId)"
            problems.append(Problem(f.name, node.get("id"), message))
    return problems


def _problem_from(file: str, exc: Exception) -> Problem:
    if isinstance(exc, ValidationException):
        element = getattr(exc, "id", None) or None
        message = str(exc).split("\n")[0].strip().rstrip(".")
        return Problem(getattr(exc, "file_name", None) or file, element, message)
    if isinstance(exc, SpiffWorkflowException):
        return Problem(file, None, str(exc).split("\n")[0])
    return Problem(file, None, f"the diagram could not be read ({type(exc).__name__}: {exc})")


def _non_executable(files: list[SourceFile], trees: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for f in files:
        tree = trees.get(f.name)
        if tree is None or f.is_dmn:
            continue
        for process in tree.iterfind(f".//{{{BPMN_NS}}}process"):
            problems.append(
                Problem(
                    f.name,
                    process.get("id"),
                    'process is not executable (set isExecutable="true" to deploy it)',
                )
            )
    return problems or [Problem(files[0].name, None, "the files contain no process")]


def _fingerprint(files: list[SourceFile], forms: Mapping[str, FormSpec]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        digest.update(f.name.encode() + b"\0" + f.content + b"\0")
    for key in sorted(forms):
        form = forms[key]
        canonical = json.dumps([form.schema, form.ui_schema], sort_keys=True)
        digest.update(key.encode() + b"\0" + canonical.encode() + b"\0")
    return digest.hexdigest()
