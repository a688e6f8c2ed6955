"""FHIRPath over a run's QuestionnaireResponse: the test of every edge into a node.

The PlanDefinition uses them as applicability conditions (against
``%questionnaireResponse``), the Questionnaire as SDC ``enableWhenExpression``
(against ``%resource``): one expression per node that ORs every edge into it. An
answer offered only while the run knows no contradicting fact (``only_if``) is
gated by :func:`not_contradicted`.
"""

from __future__ import annotations

from stentguide.interop.fhir.codes import answer_code, edges, pathway_system
from stentguide.protocols.model import ActionNode, AssessNode, NumberBranch, Protocol

__all__ = ["any_of", "incoming", "not_contradicted"]


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


def _chosen(root: str, system: str, node_id: str, answer_id: str) -> str:
    """The test that the response holds ``answer_id`` at ``node_id``."""
    code = answer_code(node_id, answer_id)
    return (
        f"{_item(root, node_id)}.answer.valueCoding"
        f".where(system='{system}' and code='{code}').exists()"
    )


def not_contradicted(
    protocol: Protocol, root: str, only_if: dict[str, bool | int | float | str]
) -> tuple[str, str]:
    """``(description, FHIRPath)``: no answer in the response sets a fact of ``only_if``
    to another value (the answer's requirement, as far as the response shows it).

    Facts declared outside the response (with the case at the start, or mid-run) are
    not in it; the ``only-if`` extension beside the expression names the requirement.
    """
    system = pathway_system(protocol)
    tests = [
        _chosen(root, system, node.id, answer.id)
        for node in protocol.nodes
        if isinstance(node, AssessNode | ActionNode)
        for answer in node.answers
        if any(f in answer.sets and answer.sets[f] != v for f, v in only_if.items())
    ]
    description = " and ".join(
        f"{fact} is {str(value).lower()} or not yet known" for fact, value in only_if.items()
    )
    if not tests:
        return description, "true"
    return description, "(" + " or ".join(tests) + ").not()"


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
            description = f"{node.id}: {edge.label}"
            test = _chosen(root, system, node.id, edge.answer_id)
        found.setdefault(edge.target, []).append((description, test))
    return found


def any_of(tests: list[tuple[str, str]]) -> tuple[str, str]:
    """One ``(description, FHIRPath)`` that holds when any of ``tests`` holds."""
    description = " OR ".join(d for d, _ in tests)
    expression = " or ".join(t for _, t in tests)
    return description, expression
