"""The shipped pathways load, and invalid protocol files are refused with clear reasons."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from stentguide.errors import ProtocolError, UnknownNameError
from stentguide.knowledge import knowledge_path
from stentguide.protocols import (
    ActionNode,
    OutcomeCategory,
    get_protocol,
    load_protocol_file,
    load_protocols,
    parse_protocol,
)

EXPECTED = {
    "partial-stent-loss",
    "stent-loss-wire-in-place",
    "stent-loss-no-wire",
    "stent-undeliverable",
    "coronary-perforation",
    "equipment-entrapment",
}


def raw_protocol(protocol_id: str = "partial-stent-loss") -> dict[str, Any]:
    data = yaml.safe_load(knowledge_path("protocols", f"{protocol_id}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def node(raw: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in raw["nodes"] if n["id"] == node_id)


def test_library_has_the_six_pathways() -> None:
    assert set(load_protocols()) == EXPECTED


@pytest.mark.parametrize("protocol_id", sorted(EXPECTED))
def test_every_node_is_sourced_and_versioned(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    assert protocol.version.count(".") == 2
    assert all(n.sources for n in protocol.nodes)
    assert protocol.outcomes


def test_seed_figures_are_in_partial_stent_loss() -> None:
    protocol = get_protocol("partial-stent-loss")
    inflate = protocol.node("inflate-stent-balloon")
    small = protocol.node("small-balloon")
    assert isinstance(inflate, ActionNode) and isinstance(small, ActionNode)
    assert [(p.value, p.unit) for p in inflate.parameters] == [(3, "atm")]
    req = small.device_requirements[0]
    assert (req.max_diameter_mm, req.markers, req.inflate_at_atm) == (1.5, 1, 3)
    keys = set(protocol.key_messages)
    assert {"anticoagulation", "keep-wire", "watch-markers", "align-guide", "never-force"} <= keys
    categories = {o.category for o in protocol.outcomes}
    assert OutcomeCategory.retrieved in categories and OutcomeCategory.removed_en_bloc in categories


def test_unknown_protocol_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError, match="did you mean partial-stent-loss"):
        get_protocol("partial-stent-los")


def _refused(raw: dict[str, Any], *fragments: str) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_protocol(raw, "mine.yaml")
    message = str(err.value)
    assert message.startswith("mine.yaml: ")
    for fragment in fragments:
        assert fragment in message


def test_answer_to_unknown_node_is_named() -> None:
    raw = raw_protocol()
    node(raw, "small-balloon")["answers"][0]["next"] = "nowhere"
    _refused(raw, "node 'small-balloon'", "unknown node 'nowhere'")


def test_unreachable_node_is_named() -> None:
    raw = raw_protocol()
    raw["nodes"].append(copy.deepcopy(node(raw, "removed-en-bloc")) | {"id": "orphan"})
    _refused(raw, "node 'orphan'", "not reachable")


def test_cycle_is_refused() -> None:
    raw = raw_protocol()
    node(raw, "en-bloc")["answers"][1]["next"] = "small-balloon"
    _refused(raw, "cycle", "small-balloon -> en-bloc -> small-balloon")


def test_dead_end_is_refused() -> None:
    raw = raw_protocol()
    node(raw, "en-bloc")["answers"] = []
    _refused(raw, "node 'en-bloc'")


def test_unknown_reference_is_refused() -> None:
    raw = raw_protocol()
    node(raw, "en-bloc")["sources"] = ["NO-SUCH-PAPER"]
    _refused(raw, "node 'en-bloc'", "NO-SUCH-PAPER")


def test_node_without_sources_is_refused() -> None:
    raw = raw_protocol()
    node(raw, "en-bloc")["sources"] = []
    _refused(raw, "node 'en-bloc'", "sources")


def test_unknown_and_unused_key_messages_are_refused() -> None:
    raw = raw_protocol()
    node(raw, "en-bloc")["key_messages"].append("wear-gloves")
    _refused(raw, "unknown key message 'wear-gloves'")
    raw = raw_protocol()
    raw["key_messages"]["spare"] = {"text": "Unused message", "sources": ["PCR-PARTIAL"]}
    _refused(raw, "key message 'spare'", "bound to no step")


def test_undeclared_fact_is_refused() -> None:
    raw = raw_protocol()
    node(raw, "en-bloc")["answers"][0]["sets"] = {"colour": "blue"}
    _refused(raw, "fact 'colour' is not declared")


def test_outcome_with_answers_is_refused() -> None:
    raw = raw_protocol()
    node(raw, "removed-en-bloc")["answers"] = [{"id": "x", "label": "x", "next": "en-bloc"}]
    _refused(raw, "node 'removed-en-bloc'", "answers")


def test_overlapping_number_branches_are_refused() -> None:
    raw = raw_protocol("stent-undeliverable")
    node(raw, "radiation-check")["number"]["branches"][0]["max"] = 6
    _refused(raw, "node 'radiation-check'", "falls in 2 branches")


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(ProtocolError, match="broken.yaml: not valid YAML"):
        load_protocol_file(bad)
    with pytest.raises(ProtocolError, match="cannot read"):
        load_protocol_file(tmp_path / "missing.yaml")
