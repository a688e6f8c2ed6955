"""A pathway as an SDC-style FHIR R4 ``Questionnaire`` whose responses record a run.

One ``choice`` (or ``quantity``) item per question, in graph order, shown when the
answer that leads to it was given (``enableWhen``, ``enableBehavior: any`` where
edges converge, plus the same rule as an SDC ``enableWhenExpression``), and one
repeating ``{node}.key-messages`` item to record the key messages acknowledged at
that step. An answer offered only when a fact has a value (``only_if``: crushing a
lost stent only outside the left main) carries an ``only-if`` extension, and its
item an SDC ``answerOptionsToggleExpression`` that turns the option off once an
earlier answer in the response set that fact to another value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stentguide import DISCLAIMER
from stentguide.interop._common import metadata, validated
from stentguide.interop.fhir.codes import (
    PLAN_DEFINITION_BASE,
    UNIT_SYSTEM,
    Edge,
    answer_code,
    asking,
    edges,
    key_message_code,
    key_messages_link_id,
    only_if_extensions,
    pathway_system,
    ucum_code,
    ucum_quantity,
)
from stentguide.interop.fhir.expressions import any_of, incoming, not_contradicted
from stentguide.protocols.model import ActionNode, AssessNode, Protocol

__all__ = ["protocol_to_questionnaire"]

_ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
_OPTIONS_TOGGLE_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-answerOptionsToggleExpression"
)


def _enable_when(protocol: Protocol, edges_in: list[Edge]) -> list[dict[str, Any]] | None:
    """``enableWhen`` entries for the edges into a node, or None if one cannot be expressed."""
    system = pathway_system(protocol)
    conditions: list[dict[str, Any]] = []
    for edge in edges_in:
        source = edge.source
        if edge.branch is not None and source.number is not None:
            branch = edge.branch
            bounds = [(op, v) for op, v in ((">=", branch.min), ("<", branch.max)) if v is not None]
            if len(bounds) != 1:
                return None
            op, value = bounds[0]
            conditions.append(
                {
                    "question": source.id,
                    "operator": op,
                    "answerQuantity": ucum_quantity(value, source.number.unit),
                }
            )
        else:
            conditions.append(
                {
                    "question": source.id,
                    "operator": "=",
                    "answerCoding": {
                        "system": system,
                        "code": answer_code(source.id, edge.answer_id),
                    },
                }
            )
    return conditions


def _answer_format(protocol: Protocol, node: AssessNode | ActionNode) -> dict[str, Any]:
    """The item's type and its answer options (choice) or unit and limits (quantity)."""
    if node.number is None:
        options: list[dict[str, Any]] = []
        toggles: list[dict[str, Any]] = []
        for answer in node.answers:
            coding = {
                "system": pathway_system(protocol),
                "code": answer_code(node.id, answer.id),
                "display": answer.label,
            }
            option: dict[str, Any] = {"valueCoding": coding}
            if answer.only_if:
                option["extension"] = only_if_extensions(protocol, node.id, answer)
                description, expression = not_contradicted(protocol, "%resource", answer.only_if)
                toggles.append(
                    {
                        "url": _OPTIONS_TOGGLE_EXPRESSION,
                        "extension": [
                            {"url": "option", "valueCoding": coding},
                            {
                                "url": "expression",
                                "valueExpression": {
                                    "language": "text/fhirpath",
                                    "description": f"Offered while {description}",
                                    "expression": expression,
                                },
                            },
                        ],
                    }
                )
            options.append(option)
        choice: dict[str, Any] = {"type": "choice", "answerOption": options}
        if toggles:
            choice["extension"] = toggles
        return choice
    return {
        "type": "quantity",
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                "valueCoding": {
                    "system": UNIT_SYSTEM,
                    "code": ucum_code(node.number.unit),
                    "display": node.number.unit,
                },
            },
            {
                "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                "valueDecimal": node.number.minimum,
            },
            {
                "url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                "valueDecimal": node.number.maximum,
            },
        ],
    }


def _question_item(
    protocol: Protocol,
    node: AssessNode | ActionNode,
    edges_in: list[Edge],
    expressions: list[tuple[str, str]],
) -> dict[str, Any]:
    """The item of one question, gated on the edges into it (none for the start)."""
    item: dict[str, Any] = {"linkId": node.id, "text": node.question, "required": True}
    item.update(_answer_format(protocol, node))
    gate: list[dict[str, Any]] = []
    if edges_in:
        description, expression = any_of(expressions)
        gate = [
            {
                "url": _ENABLE_WHEN_EXPRESSION,
                "valueExpression": {
                    "language": "text/fhirpath",
                    "description": f"Asked when {description}",
                    "expression": expression,
                },
            }
        ]
        when = _enable_when(protocol, edges_in)
        if when is not None:
            item["enableWhen"] = when
            if len(when) > 1:
                item["enableBehavior"] = "any"
    item["extension"] = item.get("extension", []) + gate
    if not item["extension"]:
        del item["extension"]
    return item


def _key_messages_item(
    protocol: Protocol, node: AssessNode | ActionNode, *, gated: bool
) -> dict[str, Any]:
    """The repeating item recording the key messages acknowledged at a step."""
    system = pathway_system(protocol)
    ack: dict[str, Any] = {
        "linkId": key_messages_link_id(node.id),
        "text": f"Key messages acknowledged at: {node.title}",
        "type": "choice",
        "repeats": True,
        "required": False,
        "answerOption": [
            {
                "valueCoding": {
                    "system": system,
                    "code": key_message_code(k),
                    "display": protocol.key_messages[k].text,
                }
            }
            for k in node.key_messages
        ],
    }
    if gated:
        ack["enableWhen"] = [{"question": node.id, "operator": "exists", "answerBoolean": True}]
    return ack


def protocol_to_questionnaire(protocol: Protocol, *, date: dt.date | None = None) -> dict[str, Any]:
    """The pathway as an SDC-style ``Questionnaire`` whose responses record a run."""
    expressions = incoming(protocol, "%resource")
    edges_in: dict[str, list[Edge]] = {}
    for edge in edges(protocol):
        edges_in.setdefault(edge.target, []).append(edge)
    items: list[dict[str, Any]] = []
    for node in asking(protocol):
        gated = node.id in edges_in
        items.append(
            _question_item(protocol, node, edges_in.get(node.id, []), expressions.get(node.id, []))
        )
        if node.key_messages:
            items.append(_key_messages_item(protocol, node, gated=gated))
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": protocol.id,
        **metadata(
            kind="questionnaire",
            slug=protocol.id,
            version=protocol.version,
            title=protocol.title,
            date=date,
        ),
        "derivedFrom": [f"{PLAN_DEFINITION_BASE}:{protocol.id}"],
        "subjectType": ["Patient"],
        "description": f"The record of one run of the pathway. {DISCLAIMER}",
        "purpose": protocol.when_to_use,
        "item": items,
    }
    return validated(resource)
