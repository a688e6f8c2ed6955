"""Protocols exported as FHIR R4 PlanDefinition resources."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.plandefinition import PlanDefinition

from stentguide.interop import protocol_to_plan_definition
from stentguide.protocols import OutcomeNode, get_protocol, load_protocols
from tests.conftest import CliRun


@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
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
            assert by_id[node.id]["condition"], f"{node.id} has no applicability condition"
        if isinstance(node, OutcomeNode):
            assert by_id[node.id]["description"].startswith(f"Outcome ({node.category.value})")
    assert "not a substitute for clinical judgement" in data["description"]


def test_conditions_name_the_answer_in_fhirpath() -> None:
    data = protocol_to_plan_definition(get_protocol("partial-stent-loss"))
    small = next(a for a in data["action"] if a["id"] == "small-balloon")
    (condition,) = small["condition"]
    assert condition["expression"]["language"] == "text/fhirpath"
    assert condition["expression"]["expression"] == (
        "%resource.item.where(linkId='inflate-stent-balloon').answer.valueCoding.code"
        " = 'did-not-enter'"
    )
    keys = [d["display"] for d in small["documentation"] if d["type"] == "documentation"]
    assert any(k.startswith("Always ensure adequate anticoagulation") for k in keys)
    numeric = protocol_to_plan_definition(get_protocol("stent-undeliverable"))
    stop = next(a for a in numeric["action"] if a["id"] == "plaque-modification")
    expressions = [c["expression"]["expression"] for c in stop["condition"]]
    assert any("valueQuantity.value >= 5" in e for e in expressions)


def test_cli_exports_fhir(cli: CliRun) -> None:
    result = cli("protocols", "show", "stent-loss-no-wire", "--format", "fhir")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["resourceType"] == "PlanDefinition"
