"""A pathway as FHIR R4 knowledge resources (validated with the R4B models).

Three resources describe one pathway, and one more the outcome vocabulary:

``CodeSystem`` (per pathway, contained in the PlanDefinition and also exported alone)
    Every answer as ``{node}/{answer}`` (answer ids are unique only within a node),
    every key message as ``key-message/{id}`` and every device role as
    ``device-role/{role}``.
``CodeSystem`` ``outcome-category``
    How a pathway ends (retrieved, removed en bloc, ...), shared by all pathways.
``Questionnaire`` (SDC style)
    One ``choice`` (or ``quantity``) item per question, in graph order, shown when
    the answer that leads to it was given (``enableWhen``, ``enableBehavior: any``
    where edges converge, plus the same rule as an SDC ``enableWhenExpression``),
    and one repeating ``{node}.key-messages`` item to record the key messages
    acknowledged at that step.
``PlanDefinition``
    One action per node in graph order; ``relatedAction`` for the transitions.
    Each action reached by the run carries **one** applicability condition: a
    FHIRPath expression that ORs every edge into the node, evaluated against the
    run's ``QuestionnaireResponse``, passed to the evaluator as the variable
    ``%questionnaireResponse`` (declared in each action's ``input``). After each
    answer exactly one related action of the current step applies; against a
    finished run exactly the actions on its path apply. Key messages
    and "avoid" items are documentation, device requirements are ``participant``
    entries with a ``device-requirement`` extension carrying the limits, and
    preconditions are ``precondition`` extensions (they warn, they do not block,
    as in the engine).

A run walked over these resources reaches the same outcome as the engine; the
tests walk every path of every pathway with an independent FHIRPath engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stentguide import DISCLAIMER
from stentguide.devices import DeviceRequirement
from stentguide.errors import KnowledgeError
from stentguide.interop._common import CANONICAL_BASE, canonical, citations, metadata, validated
from stentguide.protocols.model import (
    ActionNode,
    AssessNode,
    NumberBranch,
    OutcomeCategory,
    OutcomeNode,
    Precondition,
    Protocol,
)

__all__ = [
    "EXTENSION_DEVICE_REQUIREMENT",
    "EXTENSION_PRECONDITION",
    "OUTCOME_SYSTEM",
    "PLAN_DEFINITION_BASE",
    "QR_VARIABLE",
    "answer_code",
    "key_message_code",
    "key_messages_link_id",
    "outcome_code_system",
    "pathway_code_system",
    "pathway_system",
    "protocol_bundle",
    "protocol_to_plan_definition",
    "protocol_to_questionnaire",
]

PLAN_DEFINITION_BASE = f"{CANONICAL_BASE}:plandefinition"
OUTCOME_SYSTEM = canonical("codesystem", "outcome-category")
QR_VARIABLE = "questionnaireResponse"
EXTENSION_PRECONDITION = canonical("extension", "precondition")
EXTENSION_DEVICE_REQUIREMENT = canonical("extension", "device-requirement")
_ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
_UNIT_SYSTEM = "http://unitsofmeasure.org"
_UCUM = {"mm": "mm", "atm": "atm", "min": "min", "s": "s", "mL": "mL", "%": "%"}


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


def _asking(protocol: Protocol) -> list[AssessNode | ActionNode]:
    return [n for n in protocol.nodes if not isinstance(n, OutcomeNode)]


# --------------------------------------------------------------------------- code systems
def pathway_code_system(protocol: Protocol, *, date: dt.date | None = None) -> dict[str, Any]:
    """The pathway's CodeSystem: answers, key messages and device roles."""
    concepts: list[dict[str, Any]] = []
    for node in _asking(protocol):
        unit = f" ({node.number.unit})" if node.number is not None else ""
        options = [(b.id, b.label) for b in node.number.branches] if node.number else []
        options += [(a.id, a.label) for a in node.answers]
        concepts.extend(
            {
                "code": answer_code(node.id, answer_id),
                "display": f"{label}{unit}",
                "definition": f"{node.question} {label}{unit}",
            }
            for answer_id, label in options
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
    resource = {
        "resourceType": "CodeSystem",
        "id": f"{protocol.id}-codes",
        **metadata(
            kind="codesystem",
            slug=protocol.id,
            version=protocol.version,
            title=f"{protocol.title}: answers, key messages and device roles",
            date=date,
        ),
        "description": f"Codes of the stentguide pathway {protocol.id}.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }
    return validated(resource)


def outcome_code_system(*, date: dt.date | None = None) -> dict[str, Any]:
    """How a pathway ends, shared by every pathway and by the registry."""
    from stentguide import __version__

    concepts = [{"code": c.value, "display": c.value.replace("-", " ")} for c in OutcomeCategory]
    resource = {
        "resourceType": "CodeSystem",
        "id": "outcome-category",
        **metadata(
            kind="codesystem",
            slug="outcome-category",
            version=__version__,
            title="Outcome categories of stentguide pathways",
            date=date,
        ),
        "description": "How a management pathway ended; the registry counts outcomes by these.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }
    return validated(resource)


# --------------------------------------------------------------------------- expressions
def _item(root: str, link_id: str) -> str:
    return f"{root}.item.where(linkId='{link_id}')"


def _branch_test(root: str, node_id: str, branch: NumberBranch) -> str:
    value = f"{_item(root, node_id)}.answer.valueQuantity.value"
    tests = []
    if branch.min is not None:
        tests.append(f"{value} >= {branch.min:g}")
    if branch.max is not None:
        tests.append(f"{value} < {branch.max:g}")
    if not tests:
        return f"{_item(root, node_id)}.answer.valueQuantity.exists()"
    return "(" + " and ".join(tests) + ")"


def _incoming(protocol: Protocol, root: str) -> dict[str, list[tuple[str, str]]]:
    """For each node, ``(description, FHIRPath)`` of every edge into it."""
    system = pathway_system(protocol)
    incoming: dict[str, list[tuple[str, str]]] = {}
    for node in _asking(protocol):
        if node.number is not None:
            for b in node.number.branches:
                incoming.setdefault(b.next, []).append(
                    (f"{node.id}: {b.label} ({node.number.unit})", _branch_test(root, node.id, b))
                )
        for option in node.answers:
            code = answer_code(node.id, option.id)
            test = (
                f"{_item(root, node.id)}.answer.valueCoding"
                f".where(system='{system}' and code='{code}').exists()"
            )
            incoming.setdefault(option.next, []).append((f"{node.id}: {option.label}", test))
    return incoming


def _or(tests: list[tuple[str, str]]) -> tuple[str, str]:
    description = " OR ".join(d for d, _ in tests)
    expression = " or ".join(t for _, t in tests)
    return description, expression


# --------------------------------------------------------------------------- plan definition
def _description(node: AssessNode | ActionNode | OutcomeNode) -> str:
    if isinstance(node, OutcomeNode):
        return f"Outcome ({node.category.value}): {node.summary}"
    parts: list[str] = []
    if isinstance(node, ActionNode):
        parts.append(node.instruction)
        parts.extend(
            f"{p.name}: {p.value}{' ' + p.unit if p.unit else ''}." for p in node.parameters
        )
    parts.append(node.question)
    return " ".join(str(p) for p in parts)


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": _UNIT_SYSTEM, "code": _UCUM.get(unit, unit)}


def _fact_value(value: bool | int | float | str) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int | float):
        return {"valueDecimal": value}
    return {"valueString": value}


def _precondition(pre: Precondition) -> dict[str, Any]:
    return {
        "url": EXTENSION_PRECONDITION,
        "extension": [
            {"url": "fact", "valueCode": pre.fact},
            {"url": "equals", **_fact_value(pre.equals)},
            {"url": "message", "valueString": pre.message},
        ],
    }


def _device_requirement(protocol: Protocol, req: DeviceRequirement) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "role", "valueCode": req.role},
        {"url": "kind", "valueCode": req.kind},
        {"url": "label", "valueString": req.label},
    ]
    if req.max_diameter_mm is not None:
        parts.append({"url": "maxDiameter", "valueQuantity": _quantity(req.max_diameter_mm, "mm")})
    if req.min_diameter_mm is not None:
        parts.append({"url": "minDiameter", "valueQuantity": _quantity(req.min_diameter_mm, "mm")})
    if req.markers is not None:
        parts.append({"url": "markers", "valueInteger": req.markers})
    if req.inflate_at_atm is not None:
        parts.append({"url": "inflateAt", "valueQuantity": _quantity(req.inflate_at_atm, "atm")})
    parts.extend({"url": "fitsWith", "valueString": role} for role in req.fits_with)
    parts.extend({"url": "source", "valueString": key} for key in req.sources)
    return {
        "type": "device",
        "role": {
            "coding": [{"system": pathway_system(protocol), "code": f"device-role/{req.role}"}],
            "text": req.label,
        },
        "extension": [{"url": EXTENSION_DEVICE_REQUIREMENT, "extension": parts}],
    }


def _action(
    protocol: Protocol,
    node: AssessNode | ActionNode | OutcomeNode,
    incoming: dict[str, list[tuple[str, str]]],
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "id": node.id,
        "title": node.title,
        "description": _description(node),
        "code": [{"text": node.kind}],
    }
    if node.id in incoming:
        description, expression = _or(incoming[node.id])
        action["condition"] = [
            {
                "kind": "applicability",
                "expression": {
                    "language": "text/fhirpath",
                    "description": f"Reached when {description}",
                    "expression": expression,
                },
            }
        ]
        action["input"] = [{"type": "QuestionnaireResponse"}]
    docs: list[dict[str, Any]] = []
    if isinstance(node, OutcomeNode):
        action["code"] = [
            {
                "coding": [{"system": OUTCOME_SYSTEM, "code": node.category.value}],
                "text": "outcome",
            }
        ]
        docs.extend(
            {"type": "documentation", "label": "follow-up", "display": f} for f in node.follow_up
        )
        if node.continue_with:
            docs.append(
                {
                    "type": "composed-of",
                    "label": "continue with",
                    "resource": f"{PLAN_DEFINITION_BASE}:{node.continue_with}",
                }
            )
    else:
        action["relatedAction"] = [
            {"actionId": nxt, "relationship": "before-start"}
            for nxt in dict.fromkeys(node.next_ids())
        ]
        docs.extend(
            {
                "type": "documentation",
                "label": f"key message: {key}",
                "display": protocol.key_messages[key].text,
            }
            for key in node.key_messages
        )
        if node.preconditions:
            action["extension"] = [_precondition(p) for p in node.preconditions]
            docs.extend(
                {
                    "type": "documentation",
                    "label": f"precondition: {p.fact} = {str(p.equals).lower()}",
                    "display": p.message,
                }
                for p in node.preconditions
            )
    if isinstance(node, ActionNode):
        docs.extend({"type": "documentation", "label": "avoid", "display": a} for a in node.avoid)
        if node.device_requirements:
            action["participant"] = [
                _device_requirement(protocol, r) for r in node.device_requirements
            ]
    action["documentation"] = docs + citations(node.sources)
    return action


def protocol_to_plan_definition(
    protocol: Protocol, *, date: dt.date | None = None
) -> dict[str, Any]:
    """The pathway as a FHIR R4 ``PlanDefinition`` (JSON), validated before it is returned.

    The pathway's CodeSystem and the outcome CodeSystem are contained, so the
    export is complete on its own; ``date`` defaults to the day of the export.
    """
    incoming = _incoming(protocol, f"%{QR_VARIABLE}")
    actions = [_action(protocol, node, incoming) for node in protocol.nodes]
    codes = pathway_code_system(protocol, date=date)
    outcomes = outcome_code_system(date=date)
    resource: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": protocol.id,
        "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/shareableplandefinition"]},
        "contained": [{**codes, "id": "codes"}, {**outcomes, "id": "outcomes"}],
        **metadata(
            kind="plandefinition",
            slug=protocol.id,
            version=protocol.version,
            title=protocol.title,
            date=date,
        ),
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                    "code": "clinical-protocol",
                }
            ]
        },
        "description": f"{protocol.summary} {DISCLAIMER}",
        "purpose": protocol.evidence_note,
        "usage": (
            f"{protocol.when_to_use} Applicability conditions are FHIRPath over the run's "
            f"QuestionnaireResponse (Questionnaire {canonical('questionnaire', protocol.id)}), "
            f"given to the evaluator as %{QR_VARIABLE}: start at action '{protocol.start}' "
            "and, after each answer, follow the one related action whose condition is true "
            "against the response as it stands; against a finished run's response exactly "
            "the actions on its path apply."
        ),
        "relatedArtifact": [
            {
                "type": "depends-on",
                "label": "run record",
                "resource": canonical("questionnaire", protocol.id),
            },
            {"type": "depends-on", "label": "answer codes", "resource": "#codes"},
            {"type": "depends-on", "label": "outcome codes", "resource": "#outcomes"},
            *citations(protocol.sources),
        ],
        "action": actions,
    }
    return validated(resource)


# --------------------------------------------------------------------------- questionnaire
def _enable_when(
    protocol: Protocol, node_id: str, edges: list[tuple[AssessNode | ActionNode, str]]
) -> list[dict[str, Any]] | None:
    """``enableWhen`` entries for the edges into a node, or None if one cannot be expressed."""
    system = pathway_system(protocol)
    conditions: list[dict[str, Any]] = []
    for source, answer_id in edges:
        if source.number is not None:
            branch = next(b for b in source.number.branches if b.id == answer_id)
            bounds = [(op, v) for op, v in ((">=", branch.min), ("<", branch.max)) if v is not None]
            if len(bounds) != 1:
                return None
            op, value = bounds[0]
            conditions.append(
                {
                    "question": source.id,
                    "operator": op,
                    "answerQuantity": _quantity(value, source.number.unit),
                }
            )
        else:
            conditions.append(
                {
                    "question": source.id,
                    "operator": "=",
                    "answerCoding": {"system": system, "code": answer_code(source.id, answer_id)},
                }
            )
    return conditions


def protocol_to_questionnaire(protocol: Protocol, *, date: dt.date | None = None) -> dict[str, Any]:
    """The pathway as an SDC-style ``Questionnaire`` whose responses record a run."""
    system = pathway_system(protocol)
    expressions = _incoming(protocol, "%resource")
    edges: dict[str, list[tuple[AssessNode | ActionNode, str]]] = {}
    for node in _asking(protocol):
        if node.number is not None:
            for b in node.number.branches:
                edges.setdefault(b.next, []).append((node, b.id))
        for option in node.answers:
            edges.setdefault(option.next, []).append((node, option.id))
    items: list[dict[str, Any]] = []
    for node in _asking(protocol):
        item: dict[str, Any] = {"linkId": node.id, "text": node.question, "required": True}
        if node.number is not None:
            item["type"] = "quantity"
            item["extension"] = [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                    "valueCoding": {
                        "system": _UNIT_SYSTEM,
                        "code": _UCUM.get(node.number.unit, node.number.unit),
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
            ]
        else:
            item["type"] = "choice"
            item["answerOption"] = [
                {
                    "valueCoding": {
                        "system": system,
                        "code": answer_code(node.id, a.id),
                        "display": a.label,
                    }
                }
                for a in node.answers
            ]
        gate: list[dict[str, Any]] = []
        if node.id in edges:
            description, expression = _or(expressions[node.id])
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
            when = _enable_when(protocol, node.id, edges[node.id])
            if when is not None:
                item["enableWhen"] = when
                if len(when) > 1:
                    item["enableBehavior"] = "any"
        item["extension"] = item.get("extension", []) + gate
        if not item["extension"]:
            del item["extension"]
        items.append(item)
        if node.key_messages:
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
            if node.id in edges:
                ack["enableWhen"] = [
                    {"question": node.id, "operator": "exists", "answerBoolean": True}
                ]
            items.append(ack)
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


def protocol_bundle(protocol: Protocol, *, date: dt.date | None = None) -> dict[str, Any]:
    """PlanDefinition, Questionnaire and both CodeSystems of a pathway, as one collection."""
    resources = [
        protocol_to_plan_definition(protocol, date=date),
        protocol_to_questionnaire(protocol, date=date),
        pathway_code_system(protocol, date=date),
        outcome_code_system(date=date),
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": r["url"], "resource": r} for r in resources],
    }
    return validated(bundle)
