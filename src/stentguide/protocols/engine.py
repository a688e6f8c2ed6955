"""The protocol engine: a pure, replayable session over a protocol graph.

What a session shows (its step, path, facts, outcome) is derived in
:mod:`stentguide.protocols.session_view`; this module appends events.

A :class:`Session` is an immutable value: ``start()`` makes one and every
operation (``record``, ``acknowledge``, ``undo``, ``declare``) returns a new
session with events appended. The events are the truth; the current step, the
path, the facts and the outcome are derived by replaying them, so a session
serialised with :meth:`Session.to_dict` resumes exactly with
:meth:`Session.from_dict`. Undo appends an ``undone`` event; nothing is ever
rewritten. Every event carries a UTC timestamp, the protocol id and version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from stentguide.errors import InputError, InvalidAnswerError, SessionError, StaleStepError
from stentguide.protocols.loader import get_protocol
from stentguide.protocols.model import ActionNode, AssessNode, FactValue, OutcomeNode, Protocol
from stentguide.protocols.record import (
    SESSION_FORMAT,
    AcknowledgedData,
    AcknowledgedEvent,
    AnsweredEvent,
    CaseContext,
    DeclaredData,
    DeclaredEvent,
    EndedData,
    EndedEvent,
    EnteredData,
    EnteredEvent,
    Event,
    EventType,
    SessionRecord,
    StartedData,
    StartedEvent,
    UndoneData,
    UndoneEvent,
    read_record,
)
from stentguide.protocols.replay import STOPPED, RunState, apply_event
from stentguide.protocols.session_view import Clock, SessionView, utc_now
from stentguide.protocols.step import (
    PreconditionStatus,
    Step,
    answer_data,
    validate_devices,
    validate_facts,
)

__all__ = [
    "SESSION_FORMAT",
    "CaseContext",
    "Event",
    "EventType",
    "PreconditionStatus",
    "Session",
    "SessionRecord",
    "Step",
    "start",
]


class Session(SessionView):
    """An immutable protocol run; operations return a new session."""

    __slots__ = ()

    # ----------------------------------------------------------------- appending
    def _stamp(self, seq: int, node: str | None) -> dict[str, Any]:
        """The fields every new event carries: its place, time, protocol and step."""
        return {
            "seq": seq,
            "at": self._clock(),
            "protocol_id": self.protocol.id,
            "protocol_version": self.protocol.version,
            "node": node,
        }

    def _with(self, new: list[Event]) -> Session:
        state = RunState(
            current=self._state.current,
            facts=dict(self._state.facts),
            devices=dict(self._state.devices),
            stack=list(self._state.stack),
            acknowledged={k: set(v) for k, v in self._state.acknowledged.items()},
            pending=list(self._state.pending),
            inferred=list(self._state.inferred),
            stopped_seq=self._state.stopped_seq,
        )
        for event in new:
            apply_event(self.protocol, state, event)
        return Session(
            self.protocol, self.case, self.session_id, self.events + tuple(new), self._clock, state
        )

    def _entered_events(self, seq: int, *, announce_end: bool = True) -> list[Event]:
        """The ``entered`` event for the current step (and ``ended`` at an outcome)."""
        step = self.step()
        new = step.new_messages
        data = EnteredData(
            preconditions=[p.model_dump(mode="json") for p in step.preconditions] or None,
            device_checks=[c.model_dump(mode="json") for c in step.device_checks] or None,
            key_messages_new=new or None,
            key_messages_known=[k for k, _, _ in step.key_messages if k not in new] or None,
        )
        events: list[Event] = [EnteredEvent(**self._stamp(seq, step.node.id), data=data)]
        if announce_end and isinstance(step.node, OutcomeNode):
            ended = EndedData(category=step.node.category.value)
            events.append(EndedEvent(**self._stamp(seq + 1, step.node.id), data=ended))
        return events

    def acknowledge(self, node_id: str, key_messages: Iterable[str] | Literal["all"]) -> Session:
        """Record that the key messages of the current step were read and acted on."""
        self._expect_running()
        node = self._expect_current(node_id)
        if isinstance(node, OutcomeNode):
            raise InvalidAnswerError(
                f"node {node_id!r} is an outcome and has no key messages", "acknowledge"
            )
        wanted = list(node.key_messages) if key_messages == "all" else list(key_messages)
        unknown = [k for k in wanted if k not in node.key_messages]
        if unknown:
            raise InvalidAnswerError(
                f"node {node_id!r} does not show key message(s) {', '.join(unknown)}; "
                f"it shows {', '.join(node.key_messages) or 'none'}",
                "acknowledge",
            )
        if not wanted:
            return self
        data = AcknowledgedData(key_messages=wanted)
        return self._with([AcknowledgedEvent(**self._stamp(len(self.events), node_id), data=data)])

    def record(
        self,
        node_id: str,
        answer: str | float,
        *,
        acknowledge: Iterable[str] | Literal["all"] | None = None,
    ) -> Session:
        """Answer the current step and move on.

        ``answer`` is an answer id for a choice, or a number for a numeric
        question. ``acknowledge`` first records key messages as acknowledged.
        """
        if node_id in self._state.pending and node_id != self._state.current:
            return self._record_later(node_id, answer)
        self._expect_running()
        session = self.acknowledge(node_id, acknowledge) if acknowledge is not None else self
        node = session._expect_current(node_id)
        if isinstance(node, OutcomeNode):
            raise StaleStepError(
                f"the pathway has ended at {node.id!r}; undo to change an earlier answer"
            )
        data = answer_data(node, answer, session._state.facts)
        seq = len(session.events)
        answered = session._with([AnsweredEvent(**session._stamp(seq, node.id), data=data)])
        return answered._with(answered._entered_events(seq + 1))

    def _record_later(self, node_id: str, answer: str | float) -> Session:
        """Answer a question for the record that the run passed by; the step stays."""
        node = self.protocol.node(node_id)
        assert isinstance(node, AssessNode)
        data = answer_data(node, answer, self._state.facts)
        return self._with([AnsweredEvent(**self._stamp(len(self.events), node_id), data=data)])

    def stop(self, reason: str | None = None) -> Session:
        """Stop the run now, at the current step (an ``ended`` event, procedure stopped).

        Nothing else can be recorded afterwards except the questions for the record;
        :meth:`undo` resumes the run at the step where it stopped.
        """
        self._expect_running()
        data = EndedData(category=STOPPED, reason=reason or None)
        return self._with([EndedEvent(**self._stamp(len(self.events), self.current.id), data=data)])

    def _expect_running(self) -> None:
        if self.stopped:
            raise StaleStepError("the run was stopped; undo to resume it")

    def undo(self, reason: str | None = None) -> Session:
        """Step back over the last effective answer, by appending an ``undone`` event.

        On a stopped run, undo takes back the stop.
        """
        if self._state.stopped_seq is not None:
            data = UndoneData(undoes_seq=self._state.stopped_seq, answer="stop", reason=reason)
            seq = len(self.events)
            resumed = self._with([UndoneEvent(**self._stamp(seq, self.current.id), data=data)])
            return resumed._with(resumed._entered_events(seq + 1))
        if not self._state.stack:
            raise StaleStepError("nothing to undo: no answer has been recorded")
        last = self._state.stack[-1]
        data = UndoneData(undoes_seq=last.seq, answer=last.answer, reason=reason or None)
        seq = len(self.events)
        undone = self._with([UndoneEvent(**self._stamp(seq, last.node), data=data)])
        return undone._with(undone._entered_events(seq + 1))

    def declare(
        self,
        *,
        devices: Mapping[str, str] | None = None,
        facts: Mapping[str, FactValue] | None = None,
    ) -> Session:
        """Declare (or change) devices in use and case facts mid-run; checks are re-run."""
        self._expect_running()
        devices = dict(devices or {})
        facts = dict(facts or {})
        if not devices and not facts:
            raise InputError("declare needs at least one device or fact", {"devices": "empty"})
        validate_devices(devices)
        validate_facts(self.protocol, facts)
        seq = len(self.events)
        declared = self._with(
            [
                DeclaredEvent(
                    **self._stamp(seq, self.current.id),
                    data=DeclaredData(devices=devices, facts=facts),
                )
            ]
        )
        return declared._with(declared._entered_events(seq + 1, announce_end=False))

    def _expect_current(self, node_id: str) -> AssessNode | ActionNode | OutcomeNode:
        if node_id != self._state.current:
            raise StaleStepError(f"the current step is {self._state.current!r}, not {node_id!r}")
        return self.current

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, protocol: Protocol | None = None, clock: Clock = utc_now
    ) -> Session:
        """Resume a serialised session; the protocol id and version must match."""
        if isinstance(data, Mapping) and data.get("format") == SESSION_FORMAT:
            given = (data.get("protocol_id"), data.get("protocol_version"))
            if given[0] is not None and given[1] is not None:
                protocol = protocol or get_protocol(str(given[0]))
                if (protocol.id, protocol.version) != given:
                    raise SessionError(
                        f"session was recorded with {given[0]} {given[1]}, "
                        f"not {protocol.id} {protocol.version}"
                    )
        record = read_record(data)
        return cls.from_record(record, protocol=protocol, clock=clock)

    @classmethod
    def from_record(
        cls, record: SessionRecord, *, protocol: Protocol | None = None, clock: Clock = utc_now
    ) -> Session:
        """Resume a validated record by replaying its events on its protocol."""
        protocol = protocol or get_protocol(record.protocol_id)
        if (protocol.id, protocol.version) != (record.protocol_id, record.protocol_version):
            raise SessionError(
                f"session was recorded with {record.protocol_id} {record.protocol_version}, "
                f"not {protocol.id} {protocol.version}"
            )
        events = tuple(record.events)
        session = cls(protocol, record.case, record.session_id, events, clock, RunState("", {}, {}))
        try:
            state = session._replay()
        except (KeyError, IndexError, SessionError) as exc:
            raise SessionError(f"session events do not replay on {protocol.id}: {exc}") from None
        return cls(protocol, record.case, record.session_id, events, clock, state)


def start(
    protocol: Protocol | str,
    case: CaseContext | Mapping[str, Any] | None = None,
    *,
    clock: Clock = utc_now,
    session_id: str | None = None,
) -> Session:
    """Start a session at the protocol's first step.

    ``case`` declares facts and devices (roles -> catalogue or generic names);
    unknown devices or facts raise :class:`InputError` naming each field.
    """
    if isinstance(protocol, str):
        protocol = get_protocol(protocol)
    if case is None:
        case = CaseContext()
    elif not isinstance(case, CaseContext):
        try:
            case = CaseContext.model_validate(case)
        except ValidationError as exc:
            problems = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
            raise InputError("the case is malformed", problems) from None
    validate_devices(case.devices)
    validate_facts(protocol, case.facts)
    session = Session(protocol, case, session_id or uuid.uuid4().hex, (), clock)
    started = session._with([StartedEvent(**session._stamp(0, None), data=StartedData(case=case))])
    return started._with(started._entered_events(1))
