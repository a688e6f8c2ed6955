"""Every path of every pathway, walked over the exported FHIR resources with fhirpathpy.

The walk uses only the exported PlanDefinition and the run's QuestionnaireResponse as it
stands after each answer (as a live client evaluates it): start at the one action without
a condition, then follow the one related action whose condition is true, until an action
without related actions (an outcome). It must visit the engine's path and end at the
engine's outcome. Against the finished run's response, every action on the path applies
and every action off it does not; the Questionnaire's enableWhen rules agree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from fhirpathpy import compile as compile_fhirpath

from stentguide.interop import (
    protocol_to_plan_definition,
    protocol_to_questionnaire,
    session_to_questionnaire_response,
)
from stentguide.interop.fhir import OUTCOME_SYSTEM, QR_VARIABLE
from stentguide.protocols import Protocol, Session, load_protocols, start
from tests.interop.paths import every_path

PATHWAYS = sorted(load_protocols())


@functools.cache
def _compiled(expression: str) -> Callable[..., list[Any]]:
    """Each expression parsed once: the parse, not the evaluation, is what costs."""
    return compile_fhirpath(expression)  # type: ignore[no-any-return]


def evaluate(resource: dict[str, Any], expression: str, env: dict[str, Any]) -> list[Any]:
    return _compiled(expression)(resource, env)


def _applies(action: dict[str, Any], qr: dict[str, Any], pd: dict[str, Any]) -> bool:
    (condition,) = action["condition"]
    result = evaluate(pd, condition["expression"]["expression"], {QR_VARIABLE: qr})
    return result == [True]


def _enabled(item: dict[str, Any], qr: dict[str, Any]) -> bool:
    gates = [e for e in item.get("extension", []) if e["url"].endswith("enableWhenExpression")]
    if not gates:
        return True
    expression = gates[0]["valueExpression"]["expression"]
    return evaluate(qr, expression, {"resource": qr}) == [True]


def _run(protocol: Protocol, answers: list[tuple[str, str | float]]) -> list[Session]:
    """The session after each answer (the first one before any answer)."""
    sessions = [start(protocol)]
    for node_id, answer in answers:
        sessions.append(sessions[-1].record(node_id, answer, acknowledge="all"))
    return sessions


def _walk(pd: dict[str, Any], responses: list[dict[str, Any]]) -> list[str]:
    """Walk the PlanDefinition; ``responses[k]`` is the run's response after k+1 answers."""
    actions = {a["id"]: a for a in pd["action"]}
    (first,) = [a for a in pd["action"] if "condition" not in a]
    path = [first["id"]]
    current = first
    for qr in responses:
        assert current.get("relatedAction"), f"{current['id']} ends the plan too early"
        targets = [actions[r["actionId"]] for r in current["relatedAction"]]
        chosen = [t for t in targets if _applies(t, qr, pd)]
        assert len(chosen) == 1, f"at {current['id']}: {len(chosen)} actions apply"
        current = chosen[0]
        path.append(current["id"])
    assert not current.get("relatedAction"), f"{current['id']} is not an end of the plan"
    return path


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_every_path_reaches_the_engines_outcome(protocol_id: str) -> None:
    protocol = load_protocols()[protocol_id]
    pd = protocol_to_plan_definition(protocol)
    questionnaire = protocol_to_questionnaire(protocol)
    items = {i["linkId"]: i for i in questionnaire["item"]}
    paths = list(every_path(protocol))
    assert paths
    outcomes_reached = set()
    for answers in paths:
        sessions = _run(protocol, answers)
        session = sessions[-1]
        assert session.finished
        responses = [session_to_questionnaire_response(s) for s in sessions[1:]]
        qr = responses[-1]
        walked = _walk(pd, responses)
        assert walked == session.path
        last = next(a for a in pd["action"] if a["id"] == walked[-1])
        assert last["code"][0]["coding"][0] == {
            "system": OUTCOME_SYSTEM,
            "code": session.outcome.category.value if session.outcome else None,
        }
        for action in pd["action"]:
            if "condition" in action:
                assert _applies(action, qr, pd) == (action["id"] in walked), action["id"]
        for item in qr["item"]:
            assert item["linkId"] in items
            assert _enabled(items[item["linkId"]], qr), item["linkId"]
            options = [o["valueCoding"] for o in items[item["linkId"]].get("answerOption", [])]
            for answer in item["answer"]:
                if "valueCoding" in answer:
                    assert answer["valueCoding"] in options, item["linkId"]
                else:
                    assert items[item["linkId"]]["type"] == "quantity"
        answered = {i["linkId"] for i in qr["item"]}
        for link_id, item in items.items():
            if link_id not in answered and "." not in link_id:
                assert not _enabled(item, qr), f"{link_id} enabled but not on the path"
        outcomes_reached.add(walked[-1])
    assert outcomes_reached == {n.id for n in protocol.outcomes}


@pytest.mark.parametrize("protocol_id", PATHWAYS)
def test_one_condition_per_action_and_every_edge_in_it(protocol_id: str) -> None:
    protocol = load_protocols()[protocol_id]
    pd = protocol_to_plan_definition(protocol)
    by_id = {a["id"]: a for a in pd["action"]}
    for node in protocol.nodes:
        action = by_id[node.id]
        if node.id == protocol.start:
            assert "condition" not in action
            continue
        (condition,) = action["condition"]
        expression = condition["expression"]["expression"]
        assert f"%{QR_VARIABLE}." in expression and "%resource" not in expression
        sources = [n for n in protocol.nodes if node.id in getattr(n, "next_ids", list)()]
        for source in sources:
            assert f"linkId='{source.id}'" in expression
