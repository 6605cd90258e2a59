"""Parse, validate and fingerprint uploaded BPMN/DMN so a deploy either fully succeeds or says
exactly which file and element is wrong. Nothing here touches the database."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from engine.definitions import structure
from engine.definitions.compensation import rewrite_compensation
from engine.definitions.decision_checks import decision_problems
from engine.definitions.dialects import EXTERNAL_TASK_OPERATOR, normalize
from engine.definitions.forms import FormProblem, FormSource, FormSpec, parse_uploaded_form
from engine.definitions.links import join_links
from engine.definitions.pause_checks import pause_problems
from engine.definitions.problems import Problem
from engine.definitions.routing import (
    DEFAULT_QUEUE,
    ROUTING_KEY,
    is_expression,
    place,
    process_default_queue,
    read_routing,
)
from engine.definitions.xmlsafe import UnsafeXml, parse_untrusted
from engine.errors import Invalid
from engine.runtime.external import definition_problems as external_problems
from engine.runtime.parse_errors import is_timer_definition, parse_failure, timer_kind
from engine.runtime.spiff import PASS_THROUGH_KEY, new_parser, spec_to_json
from engine.runtime.timing import TimerValueError, check_literal, is_cron_cycle, is_iso_literal
from engine.sandbox import ScriptError, check_expression, check_script
from handlers import HandlerRegistry

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
DIAGRAM_SUFFIXES = (".bpmn", ".bpmn20.xml", ".dmn")
NO_BPMN = "no BPMN file was given"
NOT_EXECUTABLE = 'process is not executable (set isExecutable="true" to deploy it)'
# An ISO 8601 duration or cycle written bare (P7D, R6/P1D) compiles as Python but fails to run.
_ELEMENT_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>")
_DATA_STORE = re.compile(r"Data Store with name (.+?) has no implementation", re.DOTALL)
# The most flow elements one diagram file may hold. Validation is linear in them, but a file
# this large is a generated or broken one, and a bigger one only costs the server time: a
# process that really needs more is several processes joined by call activities.
MAX_FLOW_ELEMENTS = 5_000
FLOW_ELEMENTS = tuple(
    f"{{{BPMN_NS}}}{tag}"
    for tag in (
        "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
        "sendTask", "receiveTask", "callActivity", "subProcess", "transaction",
        "adHocSubProcess", "startEvent", "endEvent", "intermediateCatchEvent",
        "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "inclusiveGateway",
        "parallelGateway", "eventBasedGateway", "complexGateway", "sequenceFlow", "dataObject",
        "dataObjectReference", "dataStoreReference",
    )
)  # fmt: skip
TOO_DEEP = (
    "a path through the process is too long for the parser to follow (a few hundred steps in "
    "a row without a call activity); split it into processes joined by call activities"
)


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes

    @property
    def is_dmn(self) -> bool:
        return self.name.lower().endswith(".dmn")


class DefinitionInvalid(Invalid):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @property
    def detail(self) -> str:
        return "the definition is not valid"

    def problem_fields(self) -> dict[str, Any]:
        return {"errors": [p.as_dict() for p in self.problems]}


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    title: str
    queue: str
    form_key: str | None


@dataclass(frozen=True)
class CompileOptions:
    """Deploy settings: the queue a task routed nowhere goes to, the queue keys that exist
    (None: do not check), and whether manual tasks open a checklist task or pass through."""

    default_queue: str = DEFAULT_QUEUE
    known_queues: Collection[str] | None = None
    manual_tasks: str = "pass"  # or "checklist"


@dataclass(frozen=True)
class CompiledProcess:
    process_id: str
    name: str
    spec_json: str
    sha256: str
    files: tuple[SourceFile, ...]
    forms: Mapping[str, FormSpec]
    user_tasks: Mapping[str, UserTaskInfo] = field(default_factory=dict)
    start_form_key: str | None = None
    warnings: tuple[Problem, ...] = ()
    missing_queues: tuple[str, ...] = ()  # queue keys named by the diagram that do not exist


def read_paths(paths: Iterable[Path]) -> list[SourceFile]:
    """Expand directories into their diagrams, in a stable order.

    Files found in a folder are named by their path inside it, so `a/x.bpmn` and `b/x.bpmn`
    stay two files instead of one silently replacing the other.
    """
    files: list[SourceFile] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.name.lower().endswith(DIAGRAM_SUFFIXES))
            files.extend(SourceFile(p.relative_to(path).as_posix(), p.read_bytes()) for p in found)
        else:
            files.append(SourceFile(path.name, path.read_bytes()))
    return files


def split_uploads(files: list[SourceFile]) -> tuple[list[SourceFile], dict[str, FormSpec]]:
    """Separate diagrams from form parts; form problems become DefinitionInvalid."""
    diagrams: list[SourceFile] = []
    forms: dict[str, FormSpec] = {}
    ui: dict[str, tuple[str, dict[str, Any]]] = {}
    problems: list[Problem] = []
    for f in files:
        lower = f.name.lower()
        if lower.endswith(".json"):
            try:
                key, parsed = parse_uploaded_form(f.name, f.content)
            except FormProblem as exc:
                problems.append(Problem(f.name, None, str(exc)))
                continue
            if key in (forms if isinstance(parsed, FormSpec) else ui):
                problems.append(Problem(f.name, None, f"form {key!r} was given twice"))
            elif isinstance(parsed, FormSpec):
                forms[key] = parsed
            else:
                ui[key] = (f.name, parsed)
        elif lower.endswith(DIAGRAM_SUFFIXES):
            diagrams.append(f)
        else:
            problems.append(Problem(f.name, None, "only .bpmn, .dmn and .json files are accepted"))
    for key, (name, ui_schema) in ui.items():
        if key in forms:
            forms[key] = FormSpec(key, forms[key].schema, ui_schema)
        else:
            message = f"UI schema for form {key!r} was sent without its schema ({key}.schema.json)"
            problems.append(Problem(name, None, message))
    if problems:
        raise DefinitionInvalid(problems)
    return diagrams, forms


def compile_bundle(
    files: list[SourceFile],
    forms: FormSource,
    registry: HandlerRegistry,
    options: CompileOptions | None = None,
) -> list[CompiledProcess]:
    """Everything a deploy needs, or DefinitionInvalid listing every problem found.

    Each stage (XML, structure, dialect, parser, per-element checks) runs on every file the
    earlier stages did not rule out, so one answer lists all the problems there are."""
    options = options or CompileOptions()
    bpmn_files = [f for f in files if not f.is_dmn]
    if not bpmn_files:
        raise DefinitionInvalid([Problem(files[0].name if files else "", None, NO_BPMN)])
    problems = _duplicate_names(files)
    trees: dict[str, Any] = {}
    warnings: dict[str, list[Problem]] = {}
    bad: set[str] = {p.file for p in problems}
    for f in files:
        if f.name in trees or f.name in bad:
            continue
        try:
            tree = parse_untrusted(f.content)
        except UnsafeXml as exc:
            problems.append(Problem(f.name, None, str(exc)))
            bad.add(f.name)
            continue
        trees[f.name] = tree
        found = _precheck(f, tree)
        if not found and not f.is_dmn:
            normalized = normalize(f.name, tree)
            warnings[f.name] = normalized.warnings
            found = normalized.problems + _decision_refs(f, tree)
            found += [Problem(f.name, element, msg) for element, msg in join_links(tree)]
            found += [Problem(f.name, el, msg) for el, msg in rewrite_compensation(tree)]
        if found:
            problems.extend(found)
            bad.add(f.name)
    parser = new_parser()
    for f in sorted(files, key=lambda f: not f.is_dmn):
        if f.name in bad or f.name not in trees:
            continue
        try:
            if f.is_dmn:
                parser.add_dmn_xml(trees[f.name], filename=f.name)
            else:
                parser.add_bpmn_xml(trees[f.name], filename=f.name)
        except Exception as exc:  # every parser failure is reported, never raised as a 500
            problems.append(_problem_from(f.name, exc, trees))
            bad.add(f.name)
    compiled = []
    for pid in _process_ids(parser, bad):
        try:
            compiled.append(
                _compile_process(parser, pid, files, trees, forms, registry, options, warnings)
            )
        except DefinitionInvalid as exc:
            problems.extend(exc.problems)
    good = {name: tree for name, tree in trees.items() if name not in bad}
    problems.extend(
        _unused_files(
            [f for f in bpmn_files if f.name in good], good, set(_process_ids(parser, bad))
        )
    )
    if not compiled and not problems:  # every process is only called, none is executable
        problems = [
            Problem(f.name, p.get("id"), NOT_EXECUTABLE)
            for f in bpmn_files
            for p in good[f.name].iterfind(f".//{{{BPMN_NS}}}process")
        ]
    if problems:
        raise DefinitionInvalid(list(dict.fromkeys(problems)))
    return compiled


def _process_ids(parser: Any, bad: set[str]) -> list[str]:
    """Processes of files that parsed (a failed file may have left some registered)."""
    ids = []
    for pid in parser.get_process_ids():
        process_parser = parser.get_process_parser(pid)
        if process_parser is None or (process_parser.filename or "") not in bad:
            ids.append(pid)
    return ids


def _duplicate_names(files: list[SourceFile]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for f in files:
        if f.name in seen:
            problems.append(Problem(f.name, None, "two files have this name; names must differ"))
        seen.add(f.name)
    return problems


def _compile_process(
    parser: Any,
    pid: str,
    files: list[SourceFile],
    trees: Mapping[str, Any],
    forms: FormSource,
    registry: HandlerRegistry,
    options: CompileOptions,
    file_warnings: Mapping[str, list[Problem]],
) -> CompiledProcess:
    process_file = parser.get_process_parser(pid).filename or ""
    try:
        spec = parser.get_spec(pid)
        subprocess_specs = parser.get_subprocess_specs(pid)
    except Exception as exc:
        raise DefinitionInvalid([_problem_from(process_file, exc, trees)]) from exc
    problems: list[Problem] = []
    warnings: list[Problem] = []
    used_forms: dict[str, FormSpec] = {}
    user_tasks: dict[str, UserTaskInfo] = {}
    nodes = _nodes_by_id(trees.values())
    process_default = process_default_queue(nodes.get(pid))
    if process_default:
        options = replace(options, default_queue=process_default)
    tasks = _TaskContext(process_file, nodes, forms, used_forms, options, warnings)
    for task_spec in _all_specs(spec, subprocess_specs):
        element = getattr(task_spec, "bpmn_id", None)
        try:
            problems.extend(_check_expressions(process_file, element, task_spec, nodes))
            problems += [Problem(process_file, element, m) for m in external_problems(task_spec)]
            if _passes_through(task_spec, options):
                task_spec.extensions[PASS_THROUGH_KEY] = True
                task_spec.manual = False
            elif getattr(task_spec, "manual", False):
                info, task_problems = tasks.user_task_info(task_spec)
                problems.extend(task_problems)
                if info is not None:
                    user_tasks[info.bpmn_id] = info
            if getattr(task_spec, "operation_name", None) is not None:
                problems.extend(_check_operator(process_file, element, task_spec, registry))
        except Exception as exc:  # a shape our checks did not foresee is a problem, not a 500
            problems.append(Problem(process_file, element, _unreadable(exc)))
    start_form_key, start_problems = _start_form(process_file, spec, forms, used_forms)
    problems.extend(start_problems)
    problems.extend(
        Problem(process_file, element, message)
        for element, message in pause_problems(_all_specs(spec, subprocess_specs))
    )
    try:
        spec_json = spec_to_json(spec, subprocess_specs)
    except Exception as exc:  # an element the serializer does not know: a problem, not a 500
        problems.append(Problem(process_file, None, _unreadable(exc)))
    if problems:
        raise DefinitionInvalid(problems)
    relevant = _relevant_files(parser, pid, subprocess_specs, files)
    for f in relevant:
        warnings[:0] = file_warnings.get(f.name, [])
    missing = _missing_queues(user_tasks.values(), options)
    for key in missing:
        message = (
            f"queue {key!r} does not exist: nobody can take its tasks until it is created "
            f"(POST /api/queues or `caseway queues add {key}`)"
        )
        warnings.extend(
            Problem(process_file, t.bpmn_id, message) for t in user_tasks.values() if t.queue == key
        )
    return CompiledProcess(
        process_id=pid,
        name=spec.description or pid,
        spec_json=spec_json,
        sha256=_fingerprint(relevant, used_forms),
        files=tuple(relevant),
        forms=used_forms,
        user_tasks=user_tasks,
        start_form_key=start_form_key,
        warnings=tuple(dict.fromkeys(warnings)),
        missing_queues=missing,
    )


def _passes_through(task_spec: Any, options: CompileOptions) -> bool:
    """Plain tasks always run straight through; manual tasks unless configured as checklists."""
    kind = type(task_spec).__name__
    return kind == "NoneTask" or (kind == "ManualTask" and options.manual_tasks != "checklist")


def _missing_queues(tasks: Iterable[UserTaskInfo], options: CompileOptions) -> tuple[str, ...]:
    if options.known_queues is None:
        return ()
    known = {*options.known_queues, options.default_queue}
    return tuple(sorted({t.queue for t in tasks if t.queue and t.queue not in known}))


def _nodes_by_id(trees: Iterable[Any]) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for tree in trees:
        for node in tree.iter(f"{{{BPMN_NS}}}*"):
            ident = node.get("id")
            if ident and ident not in nodes:
                nodes[ident] = node
    return nodes


def _relevant_files(
    parser: Any, pid: str, subprocess_specs: Mapping[str, Any], files: list[SourceFile]
) -> list[SourceFile]:
    """The files this process is built from, so an unrelated edit does not version it."""
    names: set[str] = set()
    for name in (pid, *subprocess_specs):
        process_parser = parser.get_process_parser(name)
        if process_parser is None:
            continue
        names.add(process_parser.filename or "")
        for node in process_parser.node.iterfind(f".//{{{BPMN_NS}}}businessRuleTask"):
            ref = node.findtext(f"./{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
            dmn_parser = parser.dmn_parsers.get((ref or "").strip())
            if dmn_parser is not None:
                names.add(dmn_parser.filename or "")
    return [f for f in files if f.name in names]


def _unused_files(
    bpmn_files: list[SourceFile], trees: Mapping[str, Any], executable: set[str]
) -> list[Problem]:
    """A BPMN file none of whose processes deploys or is called would be silently ignored."""
    called = {
        node.get("calledElement")
        for tree in trees.values()
        for node in tree.iterfind(f".//{{{BPMN_NS}}}callActivity")
    }
    problems = []
    for f in bpmn_files:
        ids = [p.get("id") for p in trees[f.name].iterfind(f".//{{{BPMN_NS}}}process")]
        if any(i in executable or i in called for i in ids):
            continue
        if not ids:
            problems.append(Problem(f.name, None, "the file contains no process"))
        problems += [Problem(f.name, i, NOT_EXECUTABLE) for i in ids]
    return problems


def _all_specs(spec: Any, subprocess_specs: Mapping[str, Any]) -> list[Any]:
    specs = list(spec.task_specs.values())
    for sub in subprocess_specs.values():
        specs.extend(sub.task_specs.values())
    return specs


@dataclass
class _TaskContext:
    file: str
    nodes: Mapping[str, Any]
    forms: FormSource
    used: dict[str, FormSpec]
    options: CompileOptions
    warnings: list[Problem]

    def user_task_info(self, task_spec: Any) -> tuple[UserTaskInfo | None, list[Problem]]:
        """The task's queue from its routing (stored on the spec for the runtime), its form."""
        props = dict((getattr(task_spec, "extensions", {}) or {}).get("properties", {}))
        element = task_spec.bpmn_id
        node = self.nodes.get(element)
        routing = read_routing(
            node if node is not None else _EMPTY,
            lane=task_spec.lane,
            spiff_groups=props.get("candidateGroups"),
            default_queue=self.options.default_queue,
        )
        task_spec.extensions[ROUTING_KEY] = routing.as_dict()
        placement = place(routing)
        dynamic = any(
            is_expression(v) for v in (*routing.groups, *routing.users, routing.assignee or "")
        )
        if placement.defaulted and not dynamic:
            message = (
                "user task has no routing (potentialOwner, humanPerformer, camunda:assignee, "
                "candidateUsers or candidateGroups, a candidateGroups property or a lane): it "
                f"goes to the default queue {placement.queue!r}"
            )
            self.warnings.append(Problem(self.file, element, message))
        if placement.ignored_groups:
            ignored = ", ".join(placement.ignored_groups)
            message = (
                f"the task goes to queue {placement.queue!r} only; {ignored} not used (a task "
                "sits in one queue: give one queue the roles of all these groups)"
            )
            self.warnings.append(Problem(self.file, element, message))
        form_key = props.get("formKey") or _strip_schema_suffix(props.get("formJsonSchemaFilename"))
        if form_key:
            try:
                self.used[form_key] = self.forms.get(form_key)
            except FormProblem as exc:
                return None, [Problem(self.file, element, str(exc))]
        title = task_spec.bpmn_name or element
        queue = "" if dynamic and placement.defaulted else placement.queue
        return UserTaskInfo(element, title, queue, form_key), []


_EMPTY = etree.Element(f"{{{BPMN_NS}}}userTask")


def _start_form(
    file: str, spec: Any, forms: FormSource, used: dict[str, FormSpec]
) -> tuple[str | None, list[Problem]]:
    """The form key of the process's (none-event) start event, read like a user task's: the
    data a start is given must satisfy it. Several start events with different forms are a
    deploy problem (a start could not tell which applies)."""
    keys: dict[str, str] = {}
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ != "StartEvent":
            continue
        props = dict((getattr(task_spec, "extensions", {}) or {}).get("properties", {}))
        key = props.get("formKey") or _strip_schema_suffix(props.get("formJsonSchemaFilename"))
        if key:
            keys[task_spec.bpmn_id] = key
    if not keys:
        return None, []
    if len(set(keys.values())) > 1:
        message = "start events name different start forms; a process has at most one"
        return None, [Problem(file, element, message) for element in sorted(keys)]
    key = next(iter(keys.values()))
    try:
        used[key] = forms.get(key)
    except FormProblem as exc:
        return None, [Problem(file, sorted(keys)[0], str(exc))]
    return key, []


def _strip_schema_suffix(name: str | None) -> str | None:
    if not name:
        return None
    return Path(name).name.removesuffix(".json").removesuffix(".schema")


def _check_operator(
    file: str, element: str | None, task_spec: Any, registry: HandlerRegistry
) -> list[Problem]:
    operator = task_spec.operation_name
    handler = registry.get(operator)
    if handler is None and operator == EXTERNAL_TASK_OPERATOR:
        return []  # an external task: workers do the work (see engine.definitions.dialects)
    if handler is None:
        known = ", ".join(registry.names()) or "none"
        message = f"service task operator {operator!r} has no handler (known: {known})"
        return [Problem(file, element, message)]
    params = dict(task_spec.operation_params or {})
    unknown = sorted(set(params) - set(handler.params))
    missing = sorted(
        name for name, p in handler.params.items() if p.default is p.empty and name not in params
    )
    problems = [Problem(file, element, f"{operator}: unknown parameter {n!r}") for n in unknown]
    problems += [Problem(file, element, f"{operator}: missing parameter {n!r}") for n in missing]
    for name, param in params.items():
        source = (param or {}).get("value")
        if not isinstance(source, str) or not source.strip():
            problems.append(Problem(file, element, f"{operator}: parameter {name!r} has no value"))
        else:
            problems += _expression_problem(file, element, source, f"parameter {name}")
    return problems


def _check_expressions(
    file: str, element: str | None, task_spec: Any, nodes: Mapping[str, Any]
) -> list[Problem]:
    """Everything SpiffWorkflow will exec/eval must get past the sandbox at deploy time."""
    problems = []
    for attr in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attr, None)
        if isinstance(source, str) and source.strip():
            try:
                check_script(source)
            except ScriptError as exc:
                problems.append(Problem(file, element, f"{attr}: {exc}"))
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        source = (getattr(condition, "args", None) or [None])[0]
        if isinstance(source, str) and source.strip():
            problems += _expression_problem(file, element, source, "condition")
    for attr in ("condition", "cardinality"):  # loop and multi-instance characteristics
        source = getattr(task_spec, attr, None)
        if isinstance(source, str) and source.strip():
            problems += _expression_problem(file, element, source, f"loop {attr}")
    problems += [Problem(file, element, message) for message in decision_problems(task_spec)]
    for definition in _event_definitions(task_spec):
        source = getattr(definition, "expression", None)
        if not isinstance(source, str):
            continue
        if is_timer_definition(definition):
            literal_text = structure.camunda_dialect(nodes.get(element or ""))
            problems += _timer_problem(file, element, definition, source, literal_text)
        else:
            problems += _expression_problem(file, element, source, "event expression")
    return problems


def _event_definitions(task_spec: Any) -> list[Any]:
    definition = getattr(task_spec, "event_definition", None)
    if definition is None:
        return []
    return [definition, *(getattr(definition, "event_definitions", None) or [])]


def _timer_problem(
    file: str, element: str | None, definition: Any, source: str, literal_text: bool
) -> list[Problem]:
    """Literals (bare or quoted) are checked now; expressions compile now, run when reached.
    In the Camunda dialect a timer's text is a literal unless written `${…}` (already turned
    into Python by engine.definitions.dialects), so a bare word there is a bad literal."""
    literal = source.strip()
    if structure.is_cron(literal) or is_cron_cycle(definition, literal):
        misplaced = _cron_problem(file, element, definition, literal)
        if misplaced:
            return misplaced
        try:
            check_literal(definition, literal)
        except TimerValueError as exc:
            return [Problem(file, element, f"timer: {exc}")]
        return []
    if not is_iso_literal(literal):
        try:
            quoted = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            if literal_text and structure.is_bare_word(literal):
                return [Problem(file, element, structure.not_a_timer(literal))]
            return _expression_problem(file, element, source, "timer")
        if not isinstance(quoted, str):
            return [Problem(file, element, structure.not_a_timer(literal))]
        literal = quoted
        if structure.is_cron(literal):
            return _cron_problem(file, element, definition, literal)
    try:
        check_literal(definition, literal)
    except TimerValueError as exc:
        return [Problem(file, element, f"{structure.not_a_timer(literal)} ({exc})")]
    return []


def _cron_problem(file: str, element: str | None, definition: Any, literal: str) -> list[Problem]:
    if timer_kind(definition) != "cycle":
        message = f"timer {literal!r} is a cron expression: use it as a time cycle (timeCycle)"
        return [Problem(file, element, message)]
    return []


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
    count = sum(1 for _ in tree.iter(*FLOW_ELEMENTS))
    if count > MAX_FLOW_ELEMENTS:
        message = (
            f"the diagram has {count} flow elements; at most {MAX_FLOW_ELEMENTS} are accepted "
            "per file (split it into processes joined by call activities)"
        )
        return [Problem(f.name, None, message)]
    return structure.problems(f.name, tree)


def _decision_refs(f: SourceFile, tree: Any) -> list[Problem]:
    """A business rule task with no decision crashes the DMN parser (after the Camunda
    dialect's decisionRef was read as one)."""
    problems = []
    for node in tree.iterfind(f".//{{{BPMN_NS}}}businessRuleTask"):
        refs = node.findall(f"./{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
        if not refs or not (refs[0].text or "").strip():
            message = (
                "business rule task names no decision (camunda:decisionRef or "
                "spiffworkflow:calledDecisionId)"
            )
            problems.append(Problem(f.name, node.get("id"), message))
    return problems


def _problem_from(file: str, exc: Exception, trees: Mapping[str, Any]) -> Problem:
    if _recursed(exc):  # SpiffWorkflow's parser follows each path by recursion
        return Problem(file, None, TOO_DEEP)
    failure = parse_failure(exc)
    if failure is None:
        return Problem(file, None, _unreadable(exc))
    if "NotImplementedError" in failure.message or _caused_by_unsupported(exc):
        return Problem(failure.file_name or file, failure.element_id, _unsupported(failure.message))
    if failure.from_validation:
        where = failure.file_name or file
        element = failure.element_id or _locate(trees.get(where), failure.line_number, str(exc))
        return Problem(where, element, _clean(failure.message))
    return Problem(file, failure.element_id, _clean(failure.message))


_UNSUPPORTED = re.compile(r"Unsupported ([A-Za-z ]+?)(?::|'|,|$)")
_DEFINITION = re.compile(r"<(?:\w+:)?(\w+)EventDefinition")


def _caused_by_unsupported(exc: BaseException) -> bool:
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        if isinstance(current, NotImplementedError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _unsupported(message: str) -> str:
    """The parser's NotImplementedError as a designer reads it: what, and that it cannot run."""
    what = _UNSUPPORTED.search(message)
    kind = _DEFINITION.search(message)
    element = (what.group(1).strip().lower() if what else "element") + (
        f" with a {kind.group(1)} event definition" if kind else ""
    )
    return f"unsupported {element}: Caseway cannot run this element (see docs/bpmn.md)"


def _recursed(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _unreadable(exc: Exception) -> str:
    return f"the diagram could not be read ({type(exc).__name__}: {_clean(str(exc))})"


def _locate(tree: Any, line: int | None, message: str) -> str | None:
    """The BPMN element a parser error is about, when it did not say (XSD, data stores)."""
    if tree is None:
        return None
    if line is not None and line > 0:
        node = next((n for n in tree.iter(etree.Element) if n.sourceline == line), None)
        while node is not None:
            if node.get("id") and etree.QName(node).namespace == BPMN_NS:
                return str(node.get("id"))
            node = node.getparent()
    store = _DATA_STORE.search(message)
    if store:
        for node in tree.iter(f"{{{BPMN_NS}}}dataStore"):
            if node.get("name") == store.group(1):
                return node.get("id")
    return None


def _clean(text: str) -> str:
    """One line, namespaces as prefixes, no memory addresses."""
    text = _ELEMENT_REPR.sub(lambda m: f"<{m.group(1)}>", text)
    text = text.replace(f"{{{BPMN_NS}}}", "bpmn:").replace(f"{{{SPIFF_NS}}}", "spiffworkflow:")
    return " ".join(text.split()).rstrip(". ") or "no details were given"


def _fingerprint(files: list[SourceFile], forms: Mapping[str, FormSpec]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        digest.update(f.name.encode() + b"\0" + f.content + b"\0")
    for key in sorted(forms):
        form = forms[key]
        canonical = json.dumps([form.schema, form.ui_schema], sort_keys=True)
        digest.update(key.encode() + b"\0" + canonical.encode() + b"\0")
    return digest.hexdigest()
