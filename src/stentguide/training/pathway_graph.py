"""A training case seen as a pathway graph, so that the protocol engine runs it.

A case's moments become ``assess`` nodes (the choices are their answers) and its
ends become ``outcome`` nodes; the key messages are the taught pathway's own,
bound to the moments whose choices keep or break them. The same graph checks
that guard the pathways (:func:`stentguide.protocols.checks.graph_problems`:
reachability, no cycle, no dead end, every key message bound) then guard the
cases, and the same timestamped, replayable session records a play-through.
"""

from __future__ import annotations

from typing import Any

from stentguide.knowledge import validate_data
from stentguide.protocols import Protocol
from stentguide.training.model import TrainingCase

__all__ = ["case_as_protocol"]


def _bound_messages(case: TrainingCase, declared: dict[str, Any]) -> dict[str, list[str]]:
    bound: dict[str, list[str]] = {}
    for moment in case.moments:
        at_stake = {k for c in moment.choices for k in (*c.keeps, *c.breaks)}
        bound[moment.id] = [k for k in case.key_messages if k in at_stake and k in declared]
    return bound


def case_as_protocol(case: TrainingCase, pathway: Protocol | None) -> Protocol:
    """The case as a :class:`Protocol` (id and version are the case's).

    ``pathway`` supplies the key messages' text and sources; when it is
    ``None`` (an unknown pathway) no key message is declared.
    """
    declared: dict[str, Any] = {}
    if pathway is not None:
        declared = {
            k: pathway.key_messages[k].model_dump()
            for k in case.key_messages
            if k in pathway.key_messages
        }
    bound = _bound_messages(case, declared)
    nodes: list[dict[str, Any]] = [
        {
            "id": m.id,
            "kind": "assess",
            "title": m.title,
            "question": m.question,
            "detail": m.situation,
            "sources": m.sources,
            "key_messages": bound[m.id],
            "answers": [{"id": c.id, "label": c.label, "next": c.next} for c in m.choices],
        }
        for m in case.moments
    ]
    nodes += [
        {
            "id": e.id,
            "kind": "outcome",
            "category": e.outcome.value,
            "title": e.title,
            "summary": e.summary,
            "continue_with": e.continue_with,
            "sources": e.sources,
        }
        for e in case.ends
    ]
    raw = {
        "id": case.id,
        "version": case.version,
        "title": case.title,
        "summary": case.summary,
        "when_to_use": case.setting.seen,
        "evidence_note": "Training case; costs are teaching estimates.",
        "start": case.start,
        "key_messages": declared,
        "nodes": nodes,
        "sources": case.sources,
    }
    return validate_data(Protocol, raw, f"case {case.id!r} does not form a graph")
