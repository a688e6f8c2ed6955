"""A pathway as a FHIR R4 ``PlanDefinition`` (validated with the R4B models).

One action per node in graph order; ``relatedAction`` for the transitions. Each
action reached by the run carries **one** applicability condition: a FHIRPath
expression that ORs every edge into the node, evaluated against the run's
``QuestionnaireResponse``, passed to the evaluator as the variable
``%questionnaireResponse`` (declared in each action's ``input``). After each answer
exactly one related action of the current step applies; against a finished run
exactly the actions on its path apply. Key messages and "avoid" items are
documentation, device requirements are ``participant`` entries with a
``device-requirement`` extension carrying the limits, and preconditions are
``precondition`` extensions (they warn, they do not block, as in the engine).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stentguide import DISCLAIMER
from stentguide.devices import DeviceRequirement
from stentguide.interop._common import canonical, citations, metadata, validated
from stentguide.interop.fhir.codes import (
    EXTENSION_DEVICE_REQUIREMENT,
    EXTENSION_PRECONDITION,
    EXTENSION_STOP_CRITERION,
    EXTENSION_STOP_EXEMPT,
    OUTCOME_SYSTEM,
    PLAN_DEFINITION_BASE,
    QR_VARIABLE,
    fact_value,
    only_if_extensions,
    outcome_code_system,
    pathway_code_system,
    pathway_system,
    ucum_quantity,
)
from stentguide.interop.fhir.expressions import any_of, incoming
from stentguide.protocols.model import (
    ActionNode,
    AssessNode,
    OutcomeNode,
    Precondition,
    Protocol,
    StopCriterion,
)

__all__ = ["protocol_to_plan_definition"]


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


def _precondition(pre: Precondition) -> dict[str, Any]:
    return {
        "url": EXTENSION_PRECONDITION,
        "extension": [
            {"url": "fact", "valueCode": pre.fact},
            {"url": "equals", **fact_value(pre.equals)},
            {"url": "message", "valueString": pre.message},
        ],
    }


def _stop_criterion(key: str, criterion: StopCriterion) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "id", "valueId": key},
        {"url": "measure", "valueCode": criterion.measure},
        {"url": "threshold", "valueString": criterion.threshold},
    ]
    if criterion.value is not None and criterion.unit is not None:
        value = ucum_quantity(criterion.value, criterion.unit)
        parts.append({"url": "value", "valueQuantity": value})
    parts += [
        {"url": "meaning", "valueString": criterion.meaning},
        {"url": "action", "valueCode": criterion.action},
        {"url": "confidence", "valueCode": criterion.confidence},
    ]
    parts.extend({"url": "source", "valueString": source} for source in criterion.sources)
    return {"url": EXTENSION_STOP_CRITERION, "extension": parts}


def _device_requirement(protocol: Protocol, req: DeviceRequirement) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "role", "valueCode": req.role},
        {"url": "kind", "valueCode": req.kind},
        {"url": "label", "valueString": req.label},
    ]
    if req.max_diameter_mm is not None:
        parts.append(
            {"url": "maxDiameter", "valueQuantity": ucum_quantity(req.max_diameter_mm, "mm")}
        )
    if req.min_diameter_mm is not None:
        parts.append(
            {"url": "minDiameter", "valueQuantity": ucum_quantity(req.min_diameter_mm, "mm")}
        )
    if req.markers is not None:
        parts.append({"url": "markers", "valueInteger": req.markers})
    if req.inflate_at_atm is not None:
        parts.append(
            {"url": "inflateAt", "valueQuantity": ucum_quantity(req.inflate_at_atm, "atm")}
        )
    parts.extend({"url": "fitsWith", "valueString": role} for role in req.fits_with)
    if req.covered is not None:
        parts.append({"url": "covered", "valueBoolean": req.covered})
    if req.within is not None:
        parts.append({"url": "within", "valueString": req.within})
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
    edges_in: dict[str, list[tuple[str, str]]],
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "id": node.id,
        "title": node.title,
        "description": _description(node),
        "code": [{"text": node.kind}],
    }
    if node.id in edges_in:
        description, expression = any_of(edges_in[node.id])
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
        extensions = [_precondition(p) for p in node.preconditions]
        docs.extend(
            {
                "type": "documentation",
                "label": f"precondition: {p.fact} = {str(p.equals).lower()}",
                "display": p.message,
            }
            for p in node.preconditions
        )
        for answer in node.answers:
            extensions.extend(only_if_extensions(protocol, node.id, answer))
            docs.extend(
                {
                    "type": "documentation",
                    "label": f"answer only if: {fact} = {str(value).lower()}",
                    "display": f"'{answer.label}' is offered only when {fact} is "
                    f"{str(value).lower()} or not yet known.",
                }
                for fact, value in answer.only_if.items()
            )
        if isinstance(node, ActionNode) and protocol.stop_criteria:
            exempt = protocol.stop_exempt.get(node.id)
            if exempt is not None:
                extensions.append({"url": EXTENSION_STOP_EXEMPT, "valueString": exempt})
                docs.append(
                    {"type": "documentation", "label": "stop-now not offered", "display": exempt}
                )
            else:
                docs.append(
                    {
                        "type": "documentation",
                        "label": "stop criteria",
                        "display": "This step offers to stop now; the limits to check: "
                        + ", ".join(protocol.stop_criteria)
                        + " (the pathway's stop-criterion extensions).",
                    }
                )
        if extensions:
            action["extension"] = extensions
    if node.evidence is not None:
        docs.append(
            {"type": "documentation", "label": "evidence grade", "display": node.evidence.value}
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
    edges_in = incoming(protocol, f"%{QR_VARIABLE}")
    actions = [_action(protocol, node, edges_in) for node in protocol.nodes]
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
        "extension": [_stop_criterion(k, c) for k, c in protocol.stop_criteria.items()],
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
    if not resource["extension"]:
        del resource["extension"]
    return validated(resource)
