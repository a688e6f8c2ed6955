"""Export a protocol as a FHIR R4 ``PlanDefinition`` (validated with the R4B models).

One action per node, in graph order. The transitions are ``relatedAction``
links (``before-start``) and, on each target, an applicability ``condition``
written in FHIRPath over the ``QuestionnaireResponse`` of the run: the answer
at the previous node, by its link id. Key messages become ``documentation``
entries, sources ``relatedArtifact`` citations, and numeric branches
conditions on the answer's ``valueQuantity``. This follows the CPG-on-FHIR
habit of keeping each step's applicability apart from its content.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.plandefinition import PlanDefinition

from stentguide import DISCLAIMER
from stentguide.protocols.model import ActionNode, AssessNode, OutcomeNode, Protocol
from stentguide.references import reference

__all__ = ["PLAN_DEFINITION_BASE", "protocol_to_plan_definition"]

PLAN_DEFINITION_BASE = "urn:stentguide:plandefinition"


def _citations(keys: list[str]) -> list[dict[str, Any]]:
    artifacts = []
    for key in dict.fromkeys(keys):
        ref = reference(key)
        artifact: dict[str, Any] = {"type": "citation", "label": key, "citation": ref.citation()}
        if ref.url:
            artifact["url"] = ref.url
        artifacts.append(artifact)
    return artifacts


def _incoming_conditions(protocol: Protocol) -> dict[str, list[dict[str, Any]]]:
    """For each node, the FHIRPath conditions under which the run reaches it."""
    incoming: dict[str, list[dict[str, Any]]] = {}
    for node in protocol.nodes:
        if isinstance(node, OutcomeNode):
            continue
        answer = f"%resource.item.where(linkId='{node.id}').answer"
        if node.number is not None:
            unit = node.number.unit
            for b in node.number.branches:
                tests = []
                if b.min is not None:
                    tests.append(f"{answer}.valueQuantity.value >= {b.min:g}")
                if b.max is not None:
                    tests.append(f"{answer}.valueQuantity.value < {b.max:g}")
                incoming.setdefault(b.next, []).append(
                    {
                        "kind": "applicability",
                        "expression": {
                            "language": "text/fhirpath",
                            "description": f"{node.id}: {b.label} ({unit})",
                            "expression": " and ".join(tests) or "true",
                        },
                    }
                )
        else:
            for option in node.answers:
                incoming.setdefault(option.next, []).append(
                    {
                        "kind": "applicability",
                        "expression": {
                            "language": "text/fhirpath",
                            "description": f"{node.id}: {option.label}",
                            "expression": f"{answer}.valueCoding.code = '{option.id}'",
                        },
                    }
                )
    return incoming


def _description(protocol: Protocol, node: AssessNode | ActionNode | OutcomeNode) -> str:
    if isinstance(node, OutcomeNode):
        return f"Outcome ({node.category.value}): {node.summary}"
    parts = []
    if isinstance(node, ActionNode):
        parts.append(node.instruction)
        parts.extend(
            f"{p.name}: {p.value}{' ' + p.unit if p.unit else ''}" for p in node.parameters
        )
    parts.append(node.question)
    return " ".join(str(p) for p in parts)


def protocol_to_plan_definition(protocol: Protocol) -> dict[str, Any]:
    """The protocol as a FHIR R4 ``PlanDefinition`` (JSON), validated before it is returned."""
    incoming = _incoming_conditions(protocol)
    actions = []
    for node in protocol.nodes:
        action: dict[str, Any] = {
            "id": node.id,
            "title": node.title,
            "description": _description(protocol, node),
            "code": [{"text": node.kind}],
        }
        if node.id in incoming:
            action["condition"] = incoming[node.id]
        if not isinstance(node, OutcomeNode):
            action["relatedAction"] = [
                {"actionId": nxt, "relationship": "before-start"}
                for nxt in dict.fromkeys(node.next_ids())
            ]
            docs = [
                {
                    "type": "documentation",
                    "label": f"key message: {key}",
                    "display": protocol.key_messages[key].text,
                }
                for key in node.key_messages
            ]
            if node.evidence is not None:
                docs.append(
                    {
                        "type": "documentation",
                        "label": "evidence grade",
                        "display": node.evidence.value,
                    }
                )
            action["documentation"] = docs + _citations(node.sources)
        else:
            action["documentation"] = _citations(node.sources)
        actions.append(action)
    resource: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": protocol.id,
        "url": f"{PLAN_DEFINITION_BASE}:{protocol.id}",
        "version": protocol.version,
        "name": protocol.id.replace("-", "_"),
        "title": protocol.title,
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                    "code": "clinical-protocol",
                }
            ]
        },
        "status": "active",
        "experimental": True,
        "description": f"{protocol.summary} {DISCLAIMER}",
        "purpose": protocol.evidence_note,
        "usage": protocol.when_to_use,
        "relatedArtifact": _citations(protocol.sources),
        "action": actions,
    }
    return PlanDefinition.model_validate(resource).model_dump(mode="json", exclude_none=True)
