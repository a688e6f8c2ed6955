"""The review rules every pathway keeps, and the stop criteria as arithmetic.

Every key message declared ``every_step`` is bound to every step where it applies; every
device requirement names the device role it concerns (declared under ``device_roles``); a
pathway with stop criteria offers ``stop-now`` at every action step; the last clinical review
is of the shipped version; each training case still scores 100 on its expert path.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from stentguide.errors import InputError, ProtocolError
from stentguide.knowledge import knowledge_path
from stentguide.protocols import get_protocol, load_protocols
from stentguide.protocols.checks import review_problems
from stentguide.protocols.limits import CaseFigures, check_limits, maximum_contrast_ml
from stentguide.protocols.loader import parse_protocol
from stentguide.protocols.model import ActionNode, OutcomeNode
from stentguide.training.loader import load_cases
from stentguide.training.scoring import score_path

PATHWAYS = sorted(load_protocols())


def _raw(protocol_id: str) -> dict[str, Any]:
    data = yaml.safe_load(knowledge_path("protocols", f"{protocol_id}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _node(raw: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in raw["nodes"] if n["id"] == node_id)


def _refused(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ProtocolError, match="mine.yaml") as err:
        parse_protocol(raw, "mine.yaml")
    assert fragment in str(err.value)


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_every_pathway_keeps_the_review_rules(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    assert review_problems(protocol) == []
    asking = [n for n in protocol.nodes if not isinstance(n, OutcomeNode)]
    for key, message in protocol.key_messages.items():
        if message.every_step:
            bound = {n.id for n in asking if key in n.key_messages}
            assert bound == {n.id for n in asking} - set(message.except_at)
    assert protocol.key_messages["anticoagulation"].every_step
    for node in asking:
        if isinstance(node, ActionNode):
            for req in node.device_requirements:
                assert req.role in protocol.device_roles, (node.id, req.role)
    review = protocol.reviews[-1]
    assert review.version == protocol.version and review.reviewer and review.date


def test_every_loss_pathway_starts_by_checking_anticoagulation() -> None:
    for protocol_id in ("partial-stent-loss", "stent-loss-wire-in-place", "stent-loss-no-wire"):
        protocol = get_protocol(protocol_id)
        first = protocol.node(protocol.start)
        assert isinstance(first, ActionNode) and "ACT" in first.instruction
        assert "anticoagulation" in first.key_messages


def test_the_delivery_pathway_offers_stop_now_at_every_escalation_step() -> None:
    protocol = get_protocol("stent-undeliverable")
    actions = [n for n in protocol.nodes if isinstance(n, ActionNode)]
    for node in actions:
        offers = {a.id: a.next for a in node.answers}
        if node.id in protocol.stop_exempt:
            continue
        assert offers.get("stop-now") == "stop", node.id
        assert "check-limits" in node.key_messages, node.id
    assert set(protocol.stop_exempt) == {"dissection", "perforation"}


def test_an_unbound_every_step_message_is_refused() -> None:
    raw = _raw("partial-stent-loss")
    _node(raw, "mechanism")["key_messages"] = ["keep-wire"]
    _refused(raw, "node 'mechanism': every-step key message 'anticoagulation' is not bound")


def test_a_message_bound_where_it_is_an_exception_is_refused() -> None:
    raw = _raw("stent-loss-wire-in-place")
    _node(raw, "crush")["key_messages"].append("keep-wire")
    _refused(raw, "node 'crush': binds 'keep-wire'")


def test_a_requirement_without_a_declared_role_is_refused() -> None:
    raw = _raw("stent-undeliverable")
    del raw["device_roles"]["nc_balloon"]
    _refused(raw, "device requirement role 'nc_balloon' is not declared")


def test_two_requirements_on_one_role_are_refused() -> None:
    raw = _raw("stent-undeliverable")
    reqs = _node(raw, "prepare-lesion")["device_requirements"]
    reqs[1]["role"] = reqs[0]["role"]
    _refused(raw, "each requirement binds to the one device role it concerns")


def test_an_escalation_step_without_stop_now_is_refused() -> None:
    raw = _raw("stent-undeliverable")
    node = _node(raw, "anchor")
    node["answers"] = [a for a in node["answers"] if a["id"] != "stop-now"]
    _refused(raw, "node 'anchor': does not offer 'stop-now'")


def test_a_stale_review_is_refused() -> None:
    raw = copy.deepcopy(_raw("stent-loss-no-wire"))
    raw["version"] = "2.1.0"
    _refused(raw, "the last review is of version 2.0.0, the pathway is 2.1.0")
    raw["reviews"] = []
    _refused(raw, "no clinical review is recorded")


def test_training_cases_score_100_on_the_expert_path() -> None:
    for case in load_cases().values():
        path = [(m.id, c.id) for m, c in case.expert_path()]
        assert score_path(case, path).total == 100, case.id


# ------------------------------------------------------------------ stop criteria
def test_maximum_acceptable_contrast_dose_follows_cigarroa() -> None:
    assert maximum_contrast_ml(70, 2.0) == pytest.approx(175)
    assert maximum_contrast_ml(100, 1.0) == 300  # capped at 300 mL
    with pytest.raises(InputError) as err:
        maximum_contrast_ml(5, 0)
    assert set(err.value.problems) == {"weight_kg", "creatinine_mg_dl"}


@given(
    weight=st.floats(min_value=20, max_value=300),
    creatinine=st.floats(min_value=0.2, max_value=20),
    more_creatinine=st.floats(min_value=0, max_value=5),
)
def test_contrast_limit_is_capped_and_falls_with_creatinine(
    weight: float, creatinine: float, more_creatinine: float
) -> None:
    limit = maximum_contrast_ml(weight, creatinine)
    assert 0 < limit <= 300
    worse = min(creatinine + more_creatinine, 20)
    assert maximum_contrast_ml(weight, worse) <= limit + 1e-9


def test_check_limits_says_what_each_threshold_means() -> None:
    protocol = get_protocol("stent-undeliverable")
    figures = CaseFigures(contrast_ml=200, weight_kg=70, creatinine_mg_dl=2.0, air_kerma_gy=5.5)
    checks = {c.criterion: c for c in check_limits(protocol, figures)}
    assert checks["contrast-maximum-dose"].status == "reached"
    assert checks["contrast-maximum-dose"].action == "stop"
    assert "175 mL" in checks["contrast-maximum-dose"].message
    assert checks["air-kerma-5-gy"].status == "reached"
    assert checks["air-kerma-5-gy"].action == "record"  # skin follow-up, not a stop rule
    assert checks["air-kerma-2-gy"].action == "weigh"
    assert checks["skin-dose-15-gy"].status == "not-reached"
    assert checks["contrast-to-clearance"].status == "not-checked"
    assert checks["contrast-to-clearance"].confidence == "unconfirmed"
    assert checks["procedure-time"].status == "not-checked"
    nothing = check_limits(protocol, CaseFigures())
    assert {c.status for c in nothing} == {"not-checked"}
