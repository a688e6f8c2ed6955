"""Replaying a run's events on its protocol: the state machine behind :class:`Session`.

:func:`apply_event` applies one event to a :class:`RunState`; :func:`advance` passes
the questions that need no asking now (a question for the record is kept to ask
later, a question the known facts already answer is answered by them). The session
engine (:mod:`stentguide.protocols.engine`) replays a record with these and appends
new events; it is the only caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stentguide.errors import SessionError
from stentguide.protocols import record
from stentguide.protocols.model import ActionNode, AssessNode, FactValue, OutcomeNode, Protocol

__all__ = [
    "STOPPED",
    "Answered",
    "RunState",
    "advance",
    "apply_event",
    "expect_at",
    "inferred_answer",
    "known",
    "resolve",
]

STOPPED = "procedure-stopped"
"""The category of a run the operator stopped before an outcome (``Session.stop``)."""


@dataclass(frozen=True)
class Answered:
    """An answer on the effective path, with what to restore when it is undone."""

    seq: int
    node: str
    answer: str
    facts_before: dict[str, FactValue]
    current_before: str = ""
    pending_before: tuple[str, ...] = ()
    inferred_before: tuple[tuple[str, str], ...] = ()
    for_record: bool = False


@dataclass
class RunState:
    """Where a replayed run stands: the step, the facts, the devices, the answers."""

    current: str
    facts: dict[str, FactValue]
    devices: dict[str, str]
    stack: list[Answered] = field(default_factory=list)
    acknowledged: dict[str, set[str]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    inferred: list[tuple[str, str]] = field(default_factory=list)
    stopped_seq: int | None = None


def apply_event(protocol: Protocol, state: RunState, event: record.Event) -> None:
    """Apply one event of a record to the state replayed so far."""
    match event:
        case record.AnsweredEvent(data=data):
            for_record = event.node in state.pending and event.node != state.current
            if not for_record:
                expect_at(event, state.current)
            node = protocol.node(event.node or "")
            option_sets, nxt = resolve(node, data.answer)
            state.stack.append(
                Answered(
                    event.seq,
                    node.id,
                    data.answer,
                    dict(state.facts),
                    current_before=state.current,
                    pending_before=tuple(state.pending),
                    inferred_before=tuple(state.inferred),
                    for_record=for_record,
                )
            )
            state.facts.update(option_sets)
            if for_record:
                state.pending.remove(node.id)
            else:
                state.current = nxt
                advance(protocol, state)
        case record.UndoneEvent(data=data) if state.stopped_seq is not None:
            if data.undoes_seq != state.stopped_seq:
                raise SessionError(f"event {event.seq} undoes an answer of a stopped run")
            state.stopped_seq = None
        case record.UndoneEvent():
            if not state.stack:
                raise SessionError(f"event {event.seq} undoes an answer never given")
            expect_at(event, state.stack[-1].node)
            undone = state.stack.pop()
            state.facts = undone.facts_before
            state.current = undone.current_before if undone.for_record else undone.node
            state.pending = list(undone.pending_before)
            state.inferred = list(undone.inferred_before)
        case record.AcknowledgedEvent(data=data):
            expect_at(event, state.current)
            state.acknowledged.setdefault(state.current, set()).update(data.key_messages)
        case record.DeclaredEvent(data=data):
            state.devices.update(data.devices)
            state.facts.update(data.facts)
            state.pending = [n for n in state.pending if not known(protocol.node(n), state)]
        case record.EndedEvent(data=data) if data.category == STOPPED and not isinstance(
            protocol.node(state.current), OutcomeNode
        ):
            expect_at(event, state.current)
            state.stopped_seq = event.seq
        case record.StartedEvent() | record.EnteredEvent() | record.EndedEvent():
            pass


def known(node: AssessNode | ActionNode | OutcomeNode, state: RunState) -> bool:
    """Whether every fact the question would set is known already."""
    if not isinstance(node, AssessNode):
        return False
    wanted = node.facts_set()
    return bool(wanted) and wanted <= state.facts.keys()


def inferred_answer(node: AssessNode, state: RunState) -> str | None:
    """The one answer the known facts already give, if exactly one does.

    An answer is given by the facts when it sets at least one fact and every fact
    it sets is known with that value; a question with no such answer, or more than
    one, is asked.
    """
    options: list[tuple[str, dict[str, FactValue]]] = [(a.id, a.sets) for a in node.answers]
    if node.number is not None:
        options = [(b.id, b.sets) for b in node.number.branches]
    given = [
        answer_id
        for answer_id, sets in options
        if sets and all(state.facts.get(name) == v for name, v in sets.items())
    ]
    return given[0] if len(given) == 1 else None


def advance(protocol: Protocol, state: RunState) -> None:
    """Pass by the questions that need no asking now.

    A question for the record is passed (and kept to ask later unless its facts
    are known); a question whose answer the known facts already give is answered
    by them (listed in :attr:`inferred`).
    """
    for _ in range(len(protocol.nodes)):
        node = protocol.node(state.current)
        if not isinstance(node, AssessNode):
            return
        if node.for_record:
            if not known(node, state) and node.id not in state.pending:
                state.pending.append(node.id)
            state.current = node.next_ids()[0]
            continue
        inferred = inferred_answer(node, state)
        if inferred is None:
            return
        _, nxt = resolve(node, inferred)
        state.inferred.append((node.id, inferred))
        state.current = nxt


def expect_at(event: record.Event, node: str) -> None:
    """Refuse an event recorded at another step than the one the replay reached."""
    if event.node != node:
        raise SessionError(f"event {event.seq} is at {event.node!r}, not the step reached")


def resolve(
    node: AssessNode | ActionNode | OutcomeNode, answer: str
) -> tuple[dict[str, FactValue], str]:
    """The facts an answer sets and the step it leads to."""
    if isinstance(node, OutcomeNode):
        raise SessionError(f"node {node.id!r} is an outcome and takes no answer")
    if node.number is not None:
        for branch in node.number.branches:
            if branch.id == answer:
                return dict(branch.sets), branch.next
    for option in node.answers:
        if option.id == answer:
            return dict(option.sets), option.next
    raise SessionError(f"node {node.id!r} has no answer {answer!r}")
