"""The coronary perforation and equipment entrapment pathways against their scenario table.

``perforation_entrapment.yaml`` is in the scenario table's format and is checked by the same
code as ``scenarios.yaml``; on top, every node of the two pathways is graded and sourced and
the grade is visible in ``docs/protocols.md``, every outcome is reached through the engine and
the command line, and the hand-overs carry the devices and the facts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from stentguide.protocols import OutcomeNode, Session, get_protocol, start
from stentguide.protocols.model import ActionNode, Protocol
from stentguide.references import reference
from stentguide.training.loader import get_case
from tests.clinical.test_scenarios import SCENARIOS as REVIEW_SCENARIOS
from tests.clinical.test_scenarios import test_leaflet_scenario as check_leaflet_scenario
from tests.clinical.test_scenarios import test_pathway_scenario as check_pathway_scenario
from tests.clinical.test_scenarios import test_training_scenario as check_training_scenario
from tests.conftest import CliRun

TABLE = yaml.safe_load(
    (Path(__file__).parent / "perforation_entrapment.yaml").read_text(encoding="utf-8")
)
SCENARIOS: list[dict[str, Any]] = TABLE["scenarios"]
NEW = ("coronary-perforation", "equipment-entrapment")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"


def _by_kind(kind: str) -> list[Any]:
    return [pytest.param(s, id=s["id"]) for s in SCENARIOS if kind in s]


def test_the_table_has_twelve_sourced_scenarios_per_pathway() -> None:
    ids = [s["id"] for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {s["id"] for s in REVIEW_SCENARIOS}
    for s in SCENARIOS:
        assert s["source"], s["id"]
        for key in s["source"]:
            reference(key)
    for pathway in NEW:
        assert sum(s.get("pathway") == pathway for s in SCENARIOS) >= 12, pathway
        taught = [s for s in SCENARIOS if "case" in s and get_case(s["case"]).pathway == pathway]
        assert len({s["case"] for s in taught}) >= 2, pathway
    for pathway in NEW:
        outcomes = {n.id for n in get_protocol(pathway).outcomes}
        reached = {
            s["expect"]["outcome"]
            for s in SCENARIOS
            if s.get("pathway") == pathway and "outcome" in s["expect"]
        }
        assert outcomes == reached, sorted(outcomes - reached)


@pytest.mark.parametrize("s", _by_kind("pathway"))
def test_pathway_scenario(s: dict[str, Any]) -> None:
    check_pathway_scenario(s)


@pytest.mark.parametrize("s", _by_kind("case"))
def test_training_scenario(s: dict[str, Any]) -> None:
    check_training_scenario(s)


@pytest.mark.parametrize("s", _by_kind("leaflet"))
def test_leaflet_scenario(s: dict[str, Any]) -> None:
    check_leaflet_scenario(s)


def _paths_to_outcomes(protocol: Protocol) -> dict[str, list[tuple[str, str]]]:
    """One path of (node, answer) from the start to each outcome (depth first)."""
    found: dict[str, list[tuple[str, str]]] = {}

    def visit(node_id: str, path: list[tuple[str, str]]) -> None:
        node = protocol.node(node_id)
        if isinstance(node, OutcomeNode):
            found.setdefault(node.id, path)
            return
        for answer in node.answers:
            visit(answer.next, [*path, (node.id, answer.id)])

    visit(protocol.start, [])
    return found


@pytest.mark.parametrize("protocol_id", NEW)
def test_every_node_is_graded_sourced_and_shown_in_the_docs(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    docs = DOCS.read_text(encoding="utf-8")
    section = docs.split(f"### `{protocol_id}`", 1)[1].split("\n### ", 1)[0]
    assert protocol.evidence_note.split(".")[0] in " ".join(section.split())
    for node in protocol.nodes:
        assert node.sources, node.id
        if isinstance(node, OutcomeNode):
            continue
        assert node.evidence is not None, node.id
        row = next(line for line in section.splitlines() if line.startswith(f"| `{node.id}` "))
        assert f"| {node.evidence.value} |" in row, row
        for key in node.sources:
            assert key in row, (node.id, key)


@pytest.mark.parametrize("protocol_id", NEW)
def test_every_outcome_is_reached_through_the_engine(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    paths = _paths_to_outcomes(protocol)
    assert set(paths) == {n.id for n in protocol.outcomes}
    for outcome, path in paths.items():
        session = start(protocol_id)
        for node, answer in path:
            session = session.record(node, answer, acknowledge="all")
        assert session.outcome is not None and session.outcome.id == outcome
        again = Session.from_dict(json.loads(json.dumps(session.to_dict())))
        assert again.outcome is not None and again.outcome.id == outcome


@pytest.mark.parametrize("protocol_id", NEW)
def test_every_outcome_is_reached_through_the_command_line(
    protocol_id: str, cli: CliRun, tmp_path: Path
) -> None:
    protocol = get_protocol(protocol_id)
    for outcome, path in _paths_to_outcomes(protocol).items():
        script = tmp_path / f"{outcome}.json"
        script.write_text(
            json.dumps([{"node": n, "answer": a, "acknowledge": "all"} for n, a in path])
        )
        result = cli("run", protocol_id, "--answers", str(script), "--format", "json", "--no-store")
        assert result.returncode == 0, result.stderr
        assert f'"{outcome}"' in result.stdout, outcome


def test_perforation_during_entrapment_hands_over_devices_and_facts() -> None:
    devices = {"tamponade_balloon": "Emerge 3.0", "trapping_balloon": "Emerge 2.5"}
    session = start("equipment-entrapment", {"devices": devices}).record(
        "patient", "perforation", acknowledge="all"
    )
    assert session.outcome is not None and session.outcome.continue_with == "coronary-perforation"
    context = session.handover(get_protocol("coronary-perforation"))
    assert context.devices == devices
    following = start("coronary-perforation", context).record("grade", "grade-iii")
    assert {c.role: c.status for c in following.step().device_checks} == {"tamponade_balloon": "ok"}


def test_a_dislodged_covered_stent_hands_over_to_stent_loss_with_the_wire() -> None:
    path = [
        ("grade", "grade-iii"),
        ("inflate-balloon", "stable"),
        ("echo", "no-effusion"),
        ("anticoagulation", "heparin"),
        ("location", "large-vessel"),
        ("covered-stent", "dislodged"),
    ]
    session = start("coronary-perforation", {"devices": {"covered_stent": "PK Papyrus 3.0"}})
    for node, answer in path:
        session = session.record(node, answer, acknowledge="all")
    outcome = session.outcome
    assert outcome is not None and outcome.continue_with == "stent-loss-wire-in-place"
    context = session.handover(get_protocol("stent-loss-wire-in-place"))
    assert context.devices["covered_stent"] == "PK Papyrus 3.0"


def test_the_perforation_pathway_never_reverses_before_the_balloon() -> None:
    protocol = get_protocol("coronary-perforation")
    order = [n.id for n in protocol.nodes]
    assert order.index("inflate-balloon") < order.index("anticoagulation") < order.index("reversal")
    for node in protocol.nodes:
        if isinstance(node, ActionNode) and node.id != "reversal":
            said = " ".join([node.instruction, *node.avoid]).lower()
            assert not re.search(r"\bgive protamine\b(?! while)", said), node.id


def _walk_scenario(scenario_id: str) -> Session:
    s = next(s for s in SCENARIOS if s["id"] == scenario_id)
    session = start(s["pathway"], {"devices": s.get("devices", {}), "facts": s.get("facts", {})})
    for node, answer in s["answers"]:
        session = session.record(node, answer, acknowledge="all")
    return session


def test_the_delivery_perforation_carries_the_occlusion_into_the_perforation_pathway() -> None:
    session = _walk_scenario("deliver-perforation-hands-over")
    context = session.handover(get_protocol("coronary-perforation"))
    assert context.facts == {"cto": True}
    perforation = start("coronary-perforation", context)
    for node, answer in [
        ("grade", "grade-iii"),
        ("inflate-balloon", "stable"),
        ("echo", "no-effusion"),
        ("anticoagulation", "heparin"),
        ("location", "epicardial"),
        ("embolise-collateral", "sealed"),
    ]:
        perforation = perforation.record(node, answer, acknowledge="all")
    statuses = {p.fact: p.status for p in perforation.step().preconditions}
    assert statuses == {"anticoagulant": "met", "cto": "unmet"}


def test_a_stuck_burr_is_the_only_device_offered_after_the_hand_over() -> None:
    session = _walk_scenario("deliver-stuck-burr-hands-over").record(
        "plaque-modification", "burr-stuck", acknowledge="all"
    )
    outcome = session.outcome
    assert outcome is not None and outcome.continue_with == "equipment-entrapment"
    context = session.handover(get_protocol("equipment-entrapment"))
    assert context.facts == {"device": "burr"}
    entrapment = start("equipment-entrapment", context).record("patient", "stable")
    assert [answer for answer, _label in entrapment.options()] == ["burr"]


def test_a_stuck_retrieval_balloon_is_carried_into_the_entrapment_pathway() -> None:
    session = _walk_scenario("wire-retrieval-balloon-stuck-hands-over")
    context = session.handover(get_protocol("equipment-entrapment"))
    entrapment = start("equipment-entrapment", context).record("patient", "stable")
    assert [answer for answer, _label in entrapment.options()] == ["balloon"]


@pytest.mark.parametrize("protocol_id", NEW)
def test_the_grade_travels_to_the_text_view_and_the_fhir_export(
    protocol_id: str, cli: CliRun
) -> None:
    from stentguide.interop import protocol_to_plan_definition

    protocol = get_protocol(protocol_id)
    shown = cli("protocols", "show", protocol_id).stdout
    plan = protocol_to_plan_definition(protocol)
    actions = {a["id"]: a for a in plan["action"]}
    for node in protocol.nodes:
        if node.evidence is None:
            continue
        assert f"{node.id}: {node.title}" in " ".join(shown.split())
        assert f"[evidence: {node.evidence.value}]" in shown
        grades = [
            d["display"]
            for d in actions[node.id]["documentation"]
            if d.get("label") == "evidence grade"
        ]
        assert grades == [node.evidence.value]
