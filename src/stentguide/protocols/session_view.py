"""What a session shows: the current step, the path, the facts and the outcome.

:class:`SessionView` is the read side of :class:`~stentguide.protocols.engine.Session`:
everything here is derived by replaying the events on the protocol, and nothing
appends one. The engine adds the operations that return a new session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stentguide.protocols.model import ActionNode, AssessNode, FactValue, OutcomeNode, Protocol
from stentguide.protocols.record import CaseContext, Event, SessionRecord
from stentguide.protocols.replay import STOPPED, RunState, advance, apply_event
from stentguide.protocols.step import Step, device_checks, precondition_statuses

__all__ = ["Clock", "SessionView", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SessionView:
    """A protocol run as it stands, derived from its events; read-only."""

    __slots__ = ("_clock", "_state", "case", "events", "protocol", "session_id")

    def __init__(
        self,
        protocol: Protocol,
        case: CaseContext,
        session_id: str,
        events: tuple[Event, ...],
        clock: Clock = utc_now,
        _state: RunState | None = None,
    ) -> None:
        self.protocol = protocol
        self.case = case
        self.session_id = session_id
        self.events = events
        self._clock = clock
        self._state = _state if _state is not None else self._replay()

    # ----------------------------------------------------------------- derived state
    def _replay(self) -> RunState:
        state = RunState(
            current=self.protocol.start,
            facts=dict(self.case.facts),
            devices=dict(self.case.devices),
        )
        advance(self.protocol, state)
        for event in self.events:
            apply_event(self.protocol, state, event)
        return state

    @property
    def current(self) -> AssessNode | ActionNode | OutcomeNode:
        """The node the session is at."""
        return self.protocol.node(self._state.current)

    @property
    def finished(self) -> bool:
        """At an outcome, or stopped by the operator (:meth:`stop`)."""
        return self.stopped or isinstance(self.current, OutcomeNode)

    @property
    def stopped(self) -> bool:
        """The operator stopped the run before an outcome (:meth:`stop`); undo resumes it."""
        return self._state.stopped_seq is not None

    @property
    def ending_category(self) -> str | None:
        """The outcome's category, ``procedure-stopped`` if stopped, else None (in progress)."""
        if self.stopped:
            return STOPPED
        outcome = self.outcome
        return outcome.category.value if outcome else None

    @property
    def outcome(self) -> OutcomeNode | None:
        """The outcome node reached (None in progress, and when stopped before one)."""
        node = self.current
        return node if isinstance(node, OutcomeNode) else None

    @property
    def facts(self) -> dict[str, FactValue]:
        return dict(self._state.facts)

    @property
    def devices(self) -> dict[str, str]:
        return dict(self._state.devices)

    @property
    def path(self) -> list[str]:
        """The nodes on the effective path, start to current (undone answers excluded)."""
        return [a.node for a in self._state.stack] + [self._state.current]

    @property
    def answers(self) -> list[tuple[str, str]]:
        """``(node, answer)`` pairs on the effective path."""
        return [(a.node, a.answer) for a in self._state.stack]

    @property
    def pending_record(self) -> list[AssessNode]:
        """Questions for the record passed by and not answered yet (ask them after the action)."""
        found = [self.protocol.node(n) for n in self._state.pending]
        return [n for n in found if isinstance(n, AssessNode)]

    @property
    def inferred(self) -> list[tuple[str, str]]:
        """``(node, answer)`` of questions answered by facts already known, not asked."""
        return list(self._state.inferred)

    @property
    def last_answer(self) -> tuple[str, str] | None:
        """``(step title, answer label)`` that :meth:`undo` would take back, if any."""
        if self.stopped:
            return self.current.title, "Stop now"
        if not self._state.stack:
            return None
        last = self._state.stack[-1]
        node = self.protocol.node(last.node)
        label = last.answer
        if not isinstance(node, OutcomeNode):
            labels = dict(
                [(a.id, a.label) for a in node.answers]
                + [(b.id, b.label) for b in (node.number.branches if node.number else [])]
            )
            label = labels.get(last.answer, last.answer)
        return node.title, label

    def step(self) -> Step:
        """The current step with its key messages, preconditions and device checks."""
        node = self.current
        acked = self._state.acknowledged.get(node.id, set())
        earlier = {k for n, keys in self._state.acknowledged.items() if n != node.id for k in keys}
        messages = []
        if not isinstance(node, OutcomeNode):
            messages = [
                (key, self.protocol.key_messages[key].text, key in acked)
                for key in node.key_messages
            ]
        return Step(
            node=node,
            key_messages=messages,
            preconditions=precondition_statuses(node, self._state.facts),
            device_checks=device_checks(node, self._state.devices),
            known_messages=frozenset(earlier),
        )

    def handover(self, protocol: Protocol) -> CaseContext:
        """The case to start ``protocol`` with after this run changed pathway.

        The devices declared so far, and the facts known now (declared at the start or
        set by answers) that ``protocol`` declares with the same type; nothing else.
        """
        facts = {
            name: value
            for name, value in self._state.facts.items()
            if name in protocol.facts and protocol.facts[name].accepts(value)
        }
        return CaseContext(facts=facts, devices=dict(self._state.devices))

    def options(self) -> list[tuple[str, str]]:
        """``(answer id, label)`` of the current step; empty at an outcome."""
        node = self.current
        if isinstance(node, OutcomeNode):
            return []
        if node.number is not None:
            return [(b.id, b.label) for b in node.number.branches]
        facts = self._state.facts
        return [(a.id, a.label) for a in node.answers if not a.contradicted_by(facts)]

    # ----------------------------------------------------------------- serialisation
    def to_record(self) -> SessionRecord:
        """The session in its one wire format (:mod:`stentguide.protocols.record`)."""
        return SessionRecord(
            session_id=self.session_id,
            protocol_id=self.protocol.id,
            protocol_version=self.protocol.version,
            case=self.case,
            events=list(self.events),
        )

    def to_dict(self) -> dict[str, Any]:
        """The session as JSON-compatible data (format ``stentguide.session/1``)."""
        return self.to_record().to_json()

    def summary(self) -> dict[str, Any]:
        """Derived facts of the run (path, answers, outcome) for reports and stores."""
        outcome = self.outcome
        first = self.events[0].at if self.events else None
        last = self.events[-1].at if self.events else None
        return {
            "session_id": self.session_id,
            "protocol_id": self.protocol.id,
            "protocol_version": self.protocol.version,
            "finished": self.finished,
            "current": self.current.id,
            "path": self.path,
            "answers": [{"node": n, "answer": a} for n, a in self.answers],
            "outcome": outcome.id if outcome else None,
            "outcome_category": self.ending_category,
            "stopped": self.stopped,
            "started_at": first.isoformat() if first else None,
            "last_event_at": last.isoformat() if last else None,
            "elapsed_seconds": (last - first).total_seconds() if first and last else 0.0,
        }
