"""FHIRPath over a run's QuestionnaireResponse: the test of every edge into a node.

The PlanDefinition uses them as applicability conditions (against
``%questionnaireResponse``), the Questionnaire as SDC ``enableWhenExpression``
(against ``%resource``): one expression per node that ORs every edge into it.
"""

from __future__ import annotations

from stentguide.interop.fhir.codes import answer_code, edges, pathway_system
from stentguide.protocols.model import NumberBranch, Protocol

__all__ = ["any_of", "incoming"]


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


def incoming(protocol: Protocol, root: str) -> dict[str, list[tuple[str, str]]]:
    """For each node, ``(description, FHIRPath)`` of every edge into it."""
    system = pathway_system(protocol)
    found: dict[str, list[tuple[str, str]]] = {}
    for edge in edges(protocol):
        node = edge.source
        if edge.branch is not None and node.number is not None:
            description = f"{node.id}: {edge.label} ({node.number.unit})"
            test = _branch_test(root, node.id, edge.branch)
        else:
            code = answer_code(node.id, edge.answer_id)
            description = f"{node.id}: {edge.label}"
            test = (
                f"{_item(root, node.id)}.answer.valueCoding"
                f".where(system='{system}' and code='{code}').exists()"
            )
        found.setdefault(edge.target, []).append((description, test))
    return found


def any_of(tests: list[tuple[str, str]]) -> tuple[str, str]:
    """One ``(description, FHIRPath)`` that holds when any of ``tests`` holds."""
    description = " OR ".join(d for d, _ in tests)
    expression = " or ".join(t for _, t in tests)
    return description, expression
