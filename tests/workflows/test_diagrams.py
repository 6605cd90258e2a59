"""The shipped diagrams, forms and handlers fit together and draw properly in a modeler."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from engine.casework.outcomes import FIELDS, declaration_problems
from engine.config import REPO_ROOT
from engine.definitions.compile import compile_bundle, read_paths
from engine.definitions.forms import FormSource
from handlers import default_registry
from handlers.cases import APPLICANT_FIELDS
from handlers.documents import DOCUMENTS
from handlers.referrals import NEEDS, PARTNERS

WORKFLOWS = REPO_ROOT / "workflows"
FORMS = REPO_ROOT / "forms"
DIAGRAMS = sorted(WORKFLOWS.glob("*.bpmn"))
SCHEMAS = sorted(FORMS.glob("*.schema.json"))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = (
    "startEvent endEvent intermediateCatchEvent intermediateThrowEvent boundaryEvent userTask "
    "serviceTask scriptTask businessRuleTask receiveTask sendTask manualTask task callActivity "
    "subProcess exclusiveGateway parallelGateway inclusiveGateway eventBasedGateway"
).split()


def load(name: str) -> dict[str, Any]:
    return json.loads((FORMS / f"{name}.schema.json").read_text(encoding="utf-8"))


def test_every_shipped_process_compiles_with_its_queues_and_forms():
    compiled = compile_bundle(read_paths([WORKFLOWS]), FormSource(FORMS), default_registry())

    queues = {p.process_id: {t.queue for t in p.user_tasks.values()} for p in compiled}
    assert queues == {
        "client_callback": {"caseworker", "supervisor"},
        "discretionary_benefit": {"caseworker", "supervisor"},
        "intake": {"intake_worker", "caseworker", "supervisor"},
        "needs_assessment": {"caseworker", "supervisor"},
        "provincial_handoff": set(),
        "service_plan_review": {"caseworker", "supervisor"},
        "warm_referral": {"caseworker", "supervisor"},
        "plan_outcomes": {"caseworker"},
    }
    intake = next(p for p in compiled if p.process_id == "intake")
    assert sorted(f.name for f in intake.files) == ["intake.bpmn"]
    used = {key for p in compiled for key in p.forms}
    assert used == {path.name.removesuffix(".schema.json") for path in SCHEMAS}


# -- diagram interchange ------------------------------------------------------------------------


def bounds(shape: Any) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def on_border(point: tuple[float, float], box: tuple[float, ...], slack: float = 1.5) -> bool:
    x, y = point
    bx, by, bw, bh = box
    inside = bx - slack <= x <= bx + bw + slack and by - slack <= y <= by + bh + slack
    near_edge = min(abs(x - bx), abs(x - bx - bw), abs(y - by), abs(y - by - bh)) <= slack
    return inside and near_edge


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.stem for p in DIAGRAMS])
def test_every_element_is_drawn_without_overlaps(path: Path):
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {
        e.get("bpmnElement"): [
            (float(w.get("x")), float(w.get("y"))) for w in e.iterfind("di:waypoint", NS)
        ]
        for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    nodes = {n.get("id"): n for tag in FLOW_NODES for n in root.iterfind(f".//bpmn:{tag}", NS)}
    lanes = {lane.get("id"): lane for lane in root.iterfind(".//bpmn:lane", NS)}
    pools = [p.get("id") for p in root.iterfind(".//bpmn:participant", NS)]
    flows = root.findall(".//bpmn:sequenceFlow", NS) + root.findall(".//bpmn:messageFlow", NS)

    missing = [i for i in [*nodes, *lanes, *pools] if i not in shapes]
    missing += [f.get("id") for f in flows if f.get("id") not in edges]
    assert missing == []
    for a, b in combinations([n for n in nodes if nodes[n].get("attachedToRef") is None], 2):
        assert not overlap(shapes[a], shapes[b]), f"{a} overlaps {b}"
    for lane_id, lane in lanes.items():
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = shapes[ref.text]
            lx, ly, lw, lh = shapes[lane_id]
            assert lx <= x and x + w <= lx + lw and ly <= y + h / 2 <= ly + lh, ref.text
        assert any(overlap(shapes[lane_id], shapes[p]) for p in pools)
    for boundary in (n for n in nodes.values() if n.get("attachedToRef")):
        box, host = shapes[boundary.get("id")], shapes[boundary.get("attachedToRef")]
        centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
        assert on_border(centre, host), boundary.get("id")
    for flow in root.findall(".//bpmn:sequenceFlow", NS):
        points = edges[flow.get("id")]
        assert len(points) >= 2
        assert on_border(points[0], shapes[flow.get("sourceRef")]), flow.get("id")
        assert on_border(points[-1], shapes[flow.get("targetRef")]), flow.get("id")
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} has a diagonal segment"


# -- forms ----------------------------------------------------------------------------------------


def walk(schema: dict[str, Any], where: str):
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from walk(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from walk(schema["items"], f"{where}[]")
    for name, sub in schema.get("$defs", {}).items():
        yield from walk(sub, f"{where}#{name}")


@pytest.mark.parametrize("path", SCHEMAS, ids=[p.name.split(".")[0] for p in SCHEMAS])
def test_forms_follow_the_bilingual_convention(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["x-title-fr"]
    for where, node in walk(schema, path.name):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, where
            assert set(node.get("required", [])) <= set(node.get("properties", {})), where
            for name, prop in node.get("properties", {}).items():
                assert prop.get("title") and prop.get("x-title-fr"), f"{where}.{name}"
        if "enum" in node:
            assert set(node["x-enum-labels"]) == set(node["enum"]), where
            assert set(node["x-enum-labels-fr"]) == set(node["enum"]), where


def enum_of(schema: dict[str, Any]) -> set[str]:
    return set(schema.get("enum") or schema["items"]["enum"])


def test_form_codes_match_what_the_handlers_accept():
    plan = load("service_plan")
    referral = plan["$defs"]["referral"]["properties"]

    assert enum_of(referral["partner"]) == set(PARTNERS)
    assert set(plan["properties"]["referrals"]["properties"]) == set(NEEDS)
    assert set(load("needs_assessment")["properties"]["domains"]["properties"]) == set(NEEDS)
    applicant = load("intake_application")["properties"]["applicant"]["properties"]
    assert set(applicant) == APPLICANT_FIELDS
    assert DOCUMENTS  # request_documents stays for designers; no shipped intake step asks it


@pytest.mark.parametrize("path", SCHEMAS, ids=[p.name.split(".")[0] for p in SCHEMAS])
def test_outcome_declarations_are_well_formed(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))

    assert declaration_problems(schema) == []
    for entry in schema.get("x-outcomes", []):
        named = [v for k, v in entry.items() if k in ("each", "when", "unless")]
        named += [v for k, v in entry.items() if k in FIELDS and not str(v).startswith("=")]
        fields = set(schema["properties"])
        if "each" in entry:
            items = schema["properties"][entry["each"]]["items"]
            fields |= set(items.get("properties", {}))
        context = {"need", "partner"}  # from the case data the task saw
        assert set(named) <= fields | context, path.name
