"""A pathway's names and codes: canonical URLs, answer codes and the two CodeSystems.

``CodeSystem`` (per pathway, contained in the PlanDefinition and also exported alone)
    Every answer as ``{node}/{answer}`` (answer ids are unique only within a node),
    every key message as ``key-message/{id}`` and every device role as
    ``device-role/{role}``.
``CodeSystem`` ``outcome-category``
    How a pathway ends (retrieved, removed en bloc, ...), shared by all pathways.

The package (:mod:`stentguide.interop.fhir`) names the public ones in its ``__all__``;
the rest serve the PlanDefinition and Questionnaire builders beside this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from stentguide.errors import KnowledgeError
from stentguide.interop._common import CANONICAL_BASE, canonical, code_system
from stentguide.protocols.model import (
    ActionNode,
    Answer,
    AssessNode,
    NumberBranch,
    OutcomeCategory,
    OutcomeNode,
    Protocol,
)

PLAN_DEFINITION_BASE = f"{CANONICAL_BASE}:plandefinition"
OUTCOME_SYSTEM = canonical("codesystem", "outcome-category")
QR_VARIABLE = "questionnaireResponse"
EXTENSION_PRECONDITION = canonical("extension", "precondition")
EXTENSION_DEVICE_REQUIREMENT = canonical("extension", "device-requirement")
EXTENSION_ONLY_IF = canonical("extension", "only-if")
EXTENSION_STOP_CRITERION = canonical("extension", "stop-criterion")
EXTENSION_STOP_EXEMPT = canonical("extension", "stop-exempt")
UNIT_SYSTEM = "http://unitsofmeasure.org"
_UCUM = {
    "mm": "mm",
    "atm": "atm",
    "min": "min",
    "s": "s",
    "mL": "mL",
    "%": "%",
    "Gy": "Gy",
    "ratio": "1",
}


def pathway_system(protocol: Protocol) -> str:
    """The code system of a pathway's answers, key messages and device roles."""
    return canonical("codesystem", protocol.id)


def answer_code(node_id: str, answer_id: str) -> str:
    """The code of one answer (or numeric branch) of a node."""
    return f"{node_id}/{answer_id}"


def key_message_code(key: str) -> str:
    """The code of a key message."""
    return f"key-message/{key}"


def key_messages_link_id(node_id: str) -> str:
    """The Questionnaire item where the key messages acknowledged at a step are recorded."""
    return f"{node_id}.key-messages"


def ucum_code(unit: str) -> str:
    """The UCUM code of a pathway unit."""
    return _UCUM.get(unit, unit)


def fact_value(value: bool | int | float | str) -> dict[str, Any]:
    """A pathway fact's value as the ``value[x]`` of an extension."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int | float):
        return {"valueDecimal": value}
    return {"valueString": value}


def only_if_extensions(protocol: Protocol, node_id: str, answer: Answer) -> list[dict[str, Any]]:
    """One ``only-if`` extension per fact an answer requires (answer, fact, value)."""
    coding = {"system": pathway_system(protocol), "code": answer_code(node_id, answer.id)}
    return [
        {
            "url": EXTENSION_ONLY_IF,
            "extension": [
                {"url": "answer", "valueCoding": coding},
                {"url": "fact", "valueCode": fact},
                {"url": "equals", **fact_value(value)},
            ],
        }
        for fact, value in answer.only_if.items()
    ]


def ucum_quantity(value: float, unit: str) -> dict[str, Any]:
    """A FHIR ``Quantity`` in UCUM."""
    return {"value": value, "unit": unit, "system": UNIT_SYSTEM, "code": ucum_code(unit)}


def asking(protocol: Protocol) -> list[AssessNode | ActionNode]:
    """The nodes that ask a question (every node but the outcomes), in graph order."""
    return [n for n in protocol.nodes if not isinstance(n, OutcomeNode)]


@dataclass(frozen=True)
class Edge:
    """One way out of an asking node: a choice answer, or a branch of a numeric one."""

    source: AssessNode | ActionNode
    answer_id: str
    label: str
    target: str
    branch: NumberBranch | None = None


def edges(protocol: Protocol) -> list[Edge]:
    """Every edge of the pathway, node by node in graph order, branches before answers."""
    found: list[Edge] = []
    for node in asking(protocol):
        if node.number is not None:
            found += [Edge(node, b.id, b.label, b.next, b) for b in node.number.branches]
        found += [Edge(node, a.id, a.label, a.next) for a in node.answers]
    return found


def pathway_code_system(protocol: Protocol, *, date: dt.date | None = None) -> dict[str, Any]:
    """The pathway's CodeSystem: answers, key messages and device roles."""
    concepts: list[dict[str, Any]] = []
    for edge in edges(protocol):
        number = edge.source.number
        unit = f" ({number.unit})" if number is not None else ""
        concepts.append(
            {
                "code": answer_code(edge.source.id, edge.answer_id),
                "display": f"{edge.label}{unit}",
                "definition": f"{edge.source.question} {edge.label}{unit}",
            }
        )
    for key, message in protocol.key_messages.items():
        concepts.append(
            {"code": key_message_code(key), "display": message.text, "definition": message.text}
        )
    roles = {
        req.role: req.label
        for node in protocol.nodes
        if isinstance(node, ActionNode)
        for req in node.device_requirements
    }
    for role, label in roles.items():
        concepts.append({"code": f"device-role/{role}", "display": role, "definition": label})
    codes = [c["code"] for c in concepts]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise KnowledgeError(f"{protocol.id}: duplicate codes {', '.join(duplicates)}")
    return code_system(
        resource_id=f"{protocol.id}-codes",
        slug=protocol.id,
        version=protocol.version,
        title=f"{protocol.title}: answers, key messages and device roles",
        description=f"Codes of the stentguide pathway {protocol.id}.",
        concepts=concepts,
        date=date,
    )


def outcome_code_system(*, date: dt.date | None = None) -> dict[str, Any]:
    """How a pathway ends, shared by every pathway and by the registry."""
    from stentguide import __version__

    concepts = [{"code": c.value, "display": c.value.replace("-", " ")} for c in OutcomeCategory]
    return code_system(
        resource_id="outcome-category",
        slug="outcome-category",
        version=__version__,
        title="Outcome categories of stentguide pathways",
        description="How a management pathway ended; the registry counts outcomes by these.",
        concepts=concepts,
        date=date,
    )
