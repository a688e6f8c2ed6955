"""Graph checks run on every protocol at load.

A protocol is accepted only if: node ids are unique; the start node exists;
every answer leads to an existing node; every node is reachable from the start;
the graph has no cycle (so every walk ends, see ``docs/architecture.md``);
every node without answers is an outcome; every key message bound to a step is
declared and every declared one is used; a key message declared ``every_step``
is bound to every assess and action step but those it names as exceptions;
every device requirement binds to a declared device role; a pathway with stop
criteria offers ``stop-now`` at every action step; the last clinical review is
of this version; every fact an answer sets, requires or a precondition reads is
declared with a matching type; and every ``sources`` entry names a known
reference.
"""

from __future__ import annotations

from collections.abc import Iterator

from stentguide.errors import ProtocolError
from stentguide.protocols.model import ActionNode, FactValue, OutcomeNode, Protocol
from stentguide.references import source_problems

__all__ = ["graph_problems", "review_problems", "validate_protocol"]

STOP_NOW = "stop-now"
"""The answer id every action step of a pathway with stop criteria offers."""


def _sources(protocol: Protocol) -> Iterator[tuple[str, list[str]]]:
    yield "protocol", protocol.sources
    for key, message in protocol.key_messages.items():
        yield f"key message {key!r}", message.sources
    for key, criterion in protocol.stop_criteria.items():
        yield f"stop criterion {key!r}", criterion.sources
    for node in protocol.nodes:
        yield f"node {node.id!r}", node.sources
        if isinstance(node, ActionNode):
            for p in node.parameters:
                yield f"node {node.id!r} parameter {p.name!r}", p.sources
            for r in node.device_requirements:
                yield f"node {node.id!r} device requirement {r.role!r}", list(r.sources)
        if not isinstance(node, OutcomeNode) and node.number is not None:
            for b in node.number.branches:
                yield f"node {node.id!r} branch {b.id!r}", b.sources


def _cycle(protocol: Protocol) -> list[str] | None:
    """Return one cycle as a list of node ids, or None when the graph is acyclic."""
    white, grey, black = 0, 1, 2
    colour = {n.id: white for n in protocol.nodes}
    stack: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        colour[node_id] = grey
        stack.append(node_id)
        for nxt in protocol.node(node_id).next_ids():
            if nxt not in colour:
                continue
            if colour[nxt] == grey:
                return [*stack[stack.index(nxt) :], nxt]
            if colour[nxt] == white and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node_id] = black
        return None

    for node in protocol.nodes:
        if colour[node.id] == white and (found := visit(node.id)):
            return found
    return None


def _fact_problems(protocol: Protocol) -> Iterator[str]:
    def check(where: str, fact: str, value: FactValue) -> Iterator[str]:
        spec = protocol.facts.get(fact)
        if spec is None:
            yield f"{where}: fact {fact!r} is not declared under `facts`"
        elif not spec.accepts(value):
            yield f"{where}: fact {fact!r} is {spec.type}, got {value!r}"

    for node in protocol.nodes:
        if isinstance(node, OutcomeNode):
            continue
        for pre in node.preconditions:
            yield from check(f"node {node.id!r} precondition", pre.fact, pre.equals)
        options = node.answers if node.number is None else node.number.branches
        for option in options:
            for fact, value in option.sets.items():
                yield from check(f"node {node.id!r} answer {option.id!r}", fact, value)
        for answer in node.answers:
            for fact, value in answer.only_if.items():
                yield from check(f"node {node.id!r} answer {answer.id!r} only_if", fact, value)


def _every_step_problems(protocol: Protocol) -> Iterator[str]:
    asking = [n for n in protocol.nodes if not isinstance(n, OutcomeNode)]
    ids = {n.id for n in protocol.nodes}
    for key, message in protocol.key_messages.items():
        yield from (
            f"key message {key!r}: except_at names unknown node {node_id!r}"
            for node_id in message.except_at
            if node_id not in ids
        )
        if not message.every_step:
            continue
        for node in asking:
            bound = key in node.key_messages
            if node.id in message.except_at and bound:
                yield f"node {node.id!r}: binds {key!r}, which lists the node as an exception"
            elif node.id not in message.except_at and not bound:
                yield f"node {node.id!r}: every-step key message {key!r} is not bound"


def _action_problems(protocol: Protocol) -> Iterator[str]:
    for node in protocol.nodes:
        if not isinstance(node, ActionNode):
            continue
        yield from (
            f"node {node.id!r}: device requirement role {req.role!r} is not declared "
            "under `device_roles`"
            for req in node.device_requirements
            if req.role not in protocol.device_roles
        )
        if (
            protocol.stop_criteria
            and node.id not in protocol.stop_exempt
            and STOP_NOW not in {a.id for a in node.answers}
        ):
            yield f"node {node.id!r}: does not offer {STOP_NOW!r} (stop criteria)"


def review_problems(protocol: Protocol) -> list[str]:
    """Rules a reviewing clinician relies on, each naming the node or message.

    Every ``every_step`` key message is bound to every step where it applies; every
    device requirement binds to a declared device role; with stop criteria, every
    action step offers ``stop-now`` (unless exempt, with the reason); the last review
    is of this version.
    """
    problems = [*_every_step_problems(protocol), *_action_problems(protocol)]
    ids = {n.id for n in protocol.nodes}
    problems += [
        f"stop_exempt: unknown node {node_id!r}"
        for node_id in protocol.stop_exempt
        if node_id not in ids
    ]
    if not protocol.reviews:
        problems.append("reviews: no clinical review is recorded")
    elif protocol.reviews[-1].version != protocol.version:
        problems.append(
            f"reviews: the last review is of version {protocol.reviews[-1].version}, "
            f"the pathway is {protocol.version}"
        )
    return problems


def graph_problems(protocol: Protocol) -> list[str]:
    """Every reason the protocol is invalid, each naming the node; empty if valid."""
    problems: list[str] = []
    ids = [n.id for n in protocol.nodes]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    problems += [f"node {d!r}: defined more than once" for d in dupes]
    known = set(ids)
    if protocol.start not in known:
        problems.append(f"start node {protocol.start!r} does not exist")
    for node in protocol.nodes:
        problems += [
            f"node {node.id!r}: answer leads to unknown node {nxt!r}"
            for nxt in node.next_ids()
            if nxt not in known
        ]
        if not node.next_ids() and not isinstance(node, OutcomeNode):
            problems.append(f"node {node.id!r}: dead end (no answers and not an outcome)")
    if problems:
        return problems

    reached: set[str] = set()
    frontier = [protocol.start]
    while frontier:
        current = frontier.pop()
        if current not in reached:
            reached.add(current)
            frontier.extend(protocol.node(current).next_ids())
    problems += [f"node {i!r}: not reachable from the start" for i in ids if i not in reached]

    cycle = _cycle(protocol)
    if cycle:
        problems.append(f"node {cycle[0]!r}: cycle {' -> '.join(cycle)} (pathways must be acyclic)")

    used: set[str] = set()
    for node in protocol.nodes:
        if isinstance(node, OutcomeNode):
            continue
        for key in node.key_messages:
            used.add(key)
            if key not in protocol.key_messages:
                problems.append(f"node {node.id!r}: unknown key message {key!r}")
    problems += [
        f"key message {k!r}: declared but bound to no step"
        for k in protocol.key_messages
        if k not in used
    ]
    problems += list(_fact_problems(protocol))

    problems += source_problems(_sources(protocol))
    return problems


def validate_protocol(protocol: Protocol, origin: str) -> Protocol:
    """Return the protocol if valid; otherwise raise one error listing every problem."""
    problems = graph_problems(protocol)
    if not problems:
        problems = review_problems(protocol)
    if problems:
        raise ProtocolError(f"{origin}: " + "; ".join(problems))
    return protocol
