"""Pathways exported as FHIR R4 PlanDefinition, Questionnaire and CodeSystem resources."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.plandefinition import PlanDefinition

from stentguide.interop import (
    protocol_bundle,
    protocol_to_plan_definition,
    protocol_to_questionnaire,
    run_bundle,
    session_to_questionnaire_response,
)
from stentguide.interop.fhir import (
    EXTENSION_DEVICE_REQUIREMENT,
    EXTENSION_ONLY_IF,
    EXTENSION_PRECONDITION,
    EXTENSION_STOP_CRITERION,
    EXTENSION_STOP_EXEMPT,
    answer_code,
    pathway_system,
)
from stentguide.protocols import ActionNode, OutcomeNode, get_protocol, load_protocols, start
from tests.conftest import CliRun, FakeClock
from tests.interop.paths import every_path
from tests.interop.roundtrip import assert_round_trips
from tests.interop.test_paths import evaluate

PATHWAYS = sorted(load_protocols())


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_every_protocol_exports_a_valid_plan_definition(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    data = protocol_to_plan_definition(protocol)
    resource = PlanDefinition.model_validate(data)
    assert resource.version == protocol.version
    assert [a.id for a in resource.action or []] == [n.id for n in protocol.nodes]
    by_id = {a["id"]: a for a in data["action"]}
    for node in protocol.nodes:
        related = {r["actionId"] for r in by_id[node.id].get("relatedAction", [])}
        assert related == set(node.next_ids())
        if node.id != protocol.start:
            assert len(by_id[node.id]["condition"]) == 1, f"{node.id}: one condition"
        if isinstance(node, OutcomeNode):
            assert by_id[node.id]["description"].startswith(f"Outcome ({node.category.value})")
    assert "not a substitute for clinical judgement" in data["description"]


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_metadata_is_complete_and_the_name_is_computable(protocol_id: str) -> None:
    data = protocol_to_plan_definition(get_protocol(protocol_id))
    assert re.fullmatch(r"[A-Z]([A-Za-z0-9_]){0,254}", data["name"])  # pdf-0
    for field in ("url", "version", "title", "status", "date", "publisher", "description"):
        assert data[field], field
    assert data["meta"]["profile"]
    assert {c["resourceType"] for c in data["contained"]} == {"CodeSystem"}


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_every_answer_and_key_message_is_coded_in_the_shipped_code_system(
    protocol_id: str,
) -> None:
    protocol = get_protocol(protocol_id)
    data = protocol_to_plan_definition(protocol)
    codes = next(c for c in data["contained"] if c["id"] == "codes")
    assert codes["url"] == pathway_system(protocol)
    known = {c["code"] for c in codes["concept"]}
    questionnaire = protocol_to_questionnaire(protocol)
    for item in questionnaire["item"]:
        for option in item.get("answerOption", []):
            assert option["valueCoding"]["system"] == codes["url"]
            assert option["valueCoding"]["code"] in known
    assert {f"key-message/{k}" for k in protocol.key_messages} <= known
    expressions = " ".join(
        a["condition"][0]["expression"]["expression"] for a in data["action"] if "condition" in a
    )
    for code in re.findall(r"code='([^']+)'", expressions):
        assert code in known


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_device_requirements_preconditions_and_avoid_items_are_exported(
    protocol_id: str,
) -> None:
    protocol = get_protocol(protocol_id)
    by_id = {a["id"]: a for a in protocol_to_plan_definition(protocol)["action"]}
    for node in protocol.nodes:
        action = by_id[node.id]
        if isinstance(node, ActionNode):
            participants = action.get("participant", [])
            assert len(participants) == len(node.device_requirements)
            for req, part in zip(node.device_requirements, participants, strict=True):
                (ext,) = part["extension"]
                assert ext["url"] == EXTENSION_DEVICE_REQUIREMENT
                values = {e["url"]: e for e in ext["extension"]}
                assert values["role"]["valueCode"] == req.role
                if req.max_diameter_mm is not None:
                    assert values["maxDiameter"]["valueQuantity"]["value"] == req.max_diameter_mm
            avoid = [d["display"] for d in action["documentation"] if d.get("label") == "avoid"]
            assert avoid == node.avoid
        if not isinstance(node, OutcomeNode):
            pre = [e for e in action.get("extension", []) if e["url"] == EXTENSION_PRECONDITION]
            assert len(pre) == len(node.preconditions)


def test_a_numeric_question_becomes_a_range_test_on_the_quantity() -> None:
    protocol = next(
        p
        for p in load_protocols().values()
        if any(getattr(n, "number", None) is not None for n in p.nodes)
    )
    node = next(n for n in protocol.nodes if getattr(n, "number", None) is not None)
    assert not isinstance(node, OutcomeNode) and node.number is not None
    branch = next(b for b in node.number.branches if b.min is not None)
    data = protocol_to_plan_definition(protocol)
    target = next(a for a in data["action"] if a["id"] == branch.next)
    assert (
        f"valueQuantity.value >= {branch.min:g}"
        in target["condition"][0]["expression"]["expression"]
    )


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_every_knowledge_resource_validates_and_round_trips(protocol_id: str) -> None:
    bundle = protocol_bundle(get_protocol(protocol_id))
    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "PlanDefinition",
        "Questionnaire",
        "CodeSystem",
        "CodeSystem",
    ]
    for entry in bundle["entry"]:
        assert_round_trips(entry["resource"])


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_runs_export_as_valid_responses_and_bundles(protocol_id: str, clock: FakeClock) -> None:
    protocol = get_protocol(protocol_id)
    answers = next(iter(every_path(protocol)))
    session = start(protocol, clock=clock)
    for node_id, answer in answers:
        session = session.record(node_id, answer, acknowledge="all")
    qr = session_to_questionnaire_response(session)
    assert qr["status"] == "completed"
    assert [i["linkId"] for i in qr["item"] if "." not in i["linkId"]] == [n for n, _ in answers]
    bundle = run_bundle(session, patient_id="PT-1", operator="op")
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:3] == ["Patient", "Procedure", "QuestionnaireResponse"]
    assert {"Observation", "Provenance", "Condition"} <= set(kinds)
    procedure = bundle["entry"][1]["resource"]
    assert procedure["performedPeriod"]["start"] == session.events[0].at.isoformat().replace(
        "+00:00", "Z"
    )
    for entry in bundle["entry"]:
        assert_round_trips(entry["resource"])
    assert_round_trips(bundle)


def test_undone_answers_are_not_in_the_response_and_devices_are_declared(
    clock: FakeClock,
) -> None:
    protocol = get_protocol("partial-stent-loss")
    answers = next(iter(every_path(protocol)))
    session = start(protocol, {"devices": {"guide": "6F guide 0.070in"}}, clock=clock)
    first_node, first_answer = answers[0]
    other = next(a.id for a in protocol.node(first_node).answers if a.id != first_answer)  # type: ignore[union-attr]
    session = session.record(first_node, other).undo("wrong button")
    for node_id, answer in answers:
        session = session.record(node_id, answer)
    qr = session_to_questionnaire_response(session)
    first = next(i for i in qr["item"] if i["linkId"] == first_node)
    assert first["answer"][0]["valueCoding"]["code"] == f"{first_node}/{first_answer}"
    bundle = run_bundle(session, patient_id="PT-2")
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "Device" in kinds and "DeviceUseStatement" in kinds
    device = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Device"
    )
    assert device["deviceName"][0]["name"] == "6F guide 0.070in"


def test_cli_exports_fhir(cli: CliRun) -> None:
    result = cli("protocols", "show", "stent-loss-no-wire", "--format", "fhir")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["resourceType"] == "PlanDefinition"
    PlanDefinition.model_validate(data)


def _only_if(extensions: list[dict[str, Any]]) -> set[tuple[str, str, Any]]:
    found = set()
    for ext in extensions:
        if ext["url"] != EXTENSION_ONLY_IF:
            continue
        parts = {e["url"]: e for e in ext["extension"]}
        value = next(v for k, v in parts["equals"].items() if k.startswith("value"))
        found.add((parts["answer"]["valueCoding"]["code"], parts["fact"]["valueCode"], value))
    return found


def _required(protocol_id: str) -> set[tuple[str, str, Any]]:
    """Every (answer code, fact, value) an answer of the pathway requires."""
    protocol = get_protocol(protocol_id)
    return {
        (answer_code(node.id, answer.id), fact, value)
        for node in protocol.nodes
        if not isinstance(node, OutcomeNode)
        for answer in node.answers
        for fact, value in answer.only_if.items()
    }


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_answers_offered_only_with_a_fact_say_so_in_both_resources(protocol_id: str) -> None:
    """An answer's requirement (crush only outside the left main) is not lost in the export."""
    required = _required(protocol_id)
    plan = protocol_to_plan_definition(get_protocol(protocol_id))
    in_plan = {f for a in plan["action"] for f in _only_if(a.get("extension", []))}
    questionnaire = protocol_to_questionnaire(get_protocol(protocol_id))
    in_questionnaire = {
        f
        for item in questionnaire["item"]
        for option in item.get("answerOption", [])
        for f in _only_if(option.get("extension", []))
    }
    assert in_plan == required
    assert in_questionnaire == required
    labels = {d["label"] for a in plan["action"] for d in a["documentation"]}
    assert {f"answer only if: {f} = {str(v).lower()}" for _, f, v in required} <= labels


def _response(protocol_id: str, *answers: tuple[str, str]) -> dict[str, Any]:
    system = pathway_system(get_protocol(protocol_id))
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "in-progress",
        "item": [
            {
                "linkId": node,
                "answer": [{"valueCoding": {"system": system, "code": answer_code(node, answer)}}],
            }
            for node, answer in answers
        ],
    }


def _offered(protocol_id: str, node_id: str, answer_id: str, qr: dict[str, Any]) -> bool:
    questionnaire = protocol_to_questionnaire(get_protocol(protocol_id))
    (item,) = (i for i in questionnaire["item"] if i["linkId"] == node_id)
    code = answer_code(node_id, answer_id)
    for ext in item.get("extension", []):
        if not ext["url"].endswith("answerOptionsToggleExpression"):
            continue
        parts = {e["url"]: e for e in ext["extension"]}
        if parts["option"]["valueCoding"]["code"] == code:
            expression = parts["expression"]["valueExpression"]["expression"]
            return bool(evaluate(qr, expression, {"resource": qr}) == [True])
    return True


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_an_answer_is_turned_off_once_an_earlier_answer_contradicts_its_fact(
    protocol_id: str,
) -> None:
    """Walked with fhirpathpy: each answer that sets the fact otherwise turns the option off."""
    protocol = get_protocol(protocol_id)
    setters = [
        (node.id, answer.id, answer.sets)
        for node in protocol.nodes
        if not isinstance(node, OutcomeNode)
        for answer in node.answers
        if answer.sets
    ]
    for node in protocol.nodes:
        if isinstance(node, OutcomeNode):
            continue
        for answer in node.answers:
            if not answer.only_if:
                continue
            assert _offered(protocol_id, node.id, answer.id, _response(protocol_id))
            for set_at, set_by, sets in setters:
                contradicts = any(f in sets and sets[f] != v for f, v in answer.only_if.items())
                qr = _response(protocol_id, (set_at, set_by))
                assert _offered(protocol_id, node.id, answer.id, qr) is not contradicts, (
                    f"{node.id}/{answer.id} after {set_at}/{set_by}"
                )


def test_crushing_in_the_left_main_is_not_offered_once_the_left_main_is_involved() -> None:
    """PCR-CRUSH, PCR-TOTAL: in the left main, retrieval is favoured and the heart team
    decides before a crush. Exported, a plain crush is turned off once the response says
    the left main is involved, and the heart team's crush is the one left on.
    """
    protocol = get_protocol("stent-loss-no-wire")
    (crush_at,) = (
        n.id
        for n in protocol.nodes
        if not isinstance(n, OutcomeNode) and "crush" in {a.id for a in n.answers}
    )
    left_main = [
        (n.id, a.id)
        for n in protocol.nodes
        if not isinstance(n, OutcomeNode)
        for a in n.answers
        if a.sets.get("left_main_involved") is True
    ]
    assert left_main
    for set_at, set_by in left_main:
        qr = _response("stent-loss-no-wire", (set_at, set_by))
        assert not _offered("stent-loss-no-wire", crush_at, "crush", qr)
        assert _offered("stent-loss-no-wire", crush_at, "heart-team-crush", qr)


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_stop_criteria_travel_with_the_plan_definition(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    plan = protocol_to_plan_definition(protocol)
    exported = {}
    for ext in plan.get("extension", []):
        assert ext["url"] == EXTENSION_STOP_CRITERION
        parts: dict[str, list[dict[str, Any]]] = {}
        for part in ext["extension"]:
            parts.setdefault(part["url"], []).append(part)
        exported[parts["id"][0]["valueId"]] = parts
    assert set(exported) == set(protocol.stop_criteria)
    for key, criterion in protocol.stop_criteria.items():
        parts = exported[key]
        assert parts["threshold"][0]["valueString"] == criterion.threshold
        assert parts["action"][0]["valueCode"] == criterion.action
        assert parts["confidence"][0]["valueCode"] == criterion.confidence
        assert [s["valueString"] for s in parts["source"]] == list(criterion.sources)
        if criterion.value is not None and criterion.unit is not None:
            assert parts["value"][0]["valueQuantity"]["value"] == criterion.value
    by_id = {a["id"]: a for a in plan["action"]}
    for node in protocol.nodes:
        if not isinstance(node, ActionNode) or not protocol.stop_criteria:
            continue
        exempt = [
            e for e in by_id[node.id].get("extension", []) if e["url"] == EXTENSION_STOP_EXEMPT
        ]
        labels = {d["label"] for d in by_id[node.id]["documentation"]}
        if node.id in protocol.stop_exempt:
            assert exempt[0]["valueString"] == protocol.stop_exempt[node.id]
        else:
            assert not exempt and "stop criteria" in labels
