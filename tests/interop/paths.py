"""Every path of a pathway, enumerated from its graph (no node id is written here)."""

from __future__ import annotations

from collections.abc import Iterator

from stentguide.protocols import OutcomeNode, Protocol
from stentguide.protocols.model import FactValue

Answer = tuple[str, str | float]


def _number_value(low: float | None, high: float | None, minimum: float, maximum: float) -> float:
    """A value inside ``[low, high)`` and inside the plausible range."""
    lo = minimum if low is None else max(low, minimum)
    hi = maximum if high is None else min(high, maximum)
    return lo if high is None or lo < hi else (lo + hi) / 2


def every_path(protocol: Protocol) -> Iterator[list[Answer]]:
    """Every sequence of answers from the start to an outcome (the graph is acyclic).

    An answer the run cannot take (its ``only_if`` contradicts a fact an earlier
    answer set) is not followed, as the engine does not offer it.
    """

    def walk(
        node_id: str, answers: list[Answer], facts: dict[str, FactValue]
    ) -> Iterator[list[Answer]]:
        node = protocol.node(node_id)
        if isinstance(node, OutcomeNode):
            yield answers
            return
        if node.number is not None:
            q = node.number
            for b in q.branches:
                value = _number_value(b.min, b.max, q.minimum, q.maximum)
                assert b.contains(value), (node.id, b.id, value)
                yield from walk(b.next, [*answers, (node.id, value)], {**facts, **b.sets})
        for option in node.answers:
            if option.contradicted_by(facts):
                continue
            yield from walk(
                option.next, [*answers, (node.id, option.id)], {**facts, **option.sets}
            )

    yield from walk(protocol.start, [], {})
