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
    EXTENSION_PRECONDITION,
    pathway_system,
)
from stentguide.protocols import ActionNode, OutcomeNode, get_protocol, load_protocols, start
from tests.conftest import CliRun, FakeClock
from tests.interop.paths import every_path
from tests.interop.roundtrip import assert_round_trips

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
