"""The protocol engine: a pure, replayable session over a protocol graph.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from stentguide.devices import DeviceCheck, check_requirement, get_device
from stentguide.errors import (
    InputError,
    InvalidAnswerError,
    SessionError,
    StaleStepError,
    StentguideError,
)
from stentguide.protocols.loader import get_protocol
from stentguide.protocols.model import (
    ActionNode,
    AssessNode,
    FactValue,
    OutcomeNode,
    Protocol,
)
from stentguide.protocols.record import (
    SESSION_FORMAT,
    AcknowledgedData,
    AcknowledgedEvent,
    AnsweredData,
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

Clock = Callable[[], datetime]
STOPPED = "procedure-stopped"
"""The category of a run the operator stopped before an outcome (:meth:`Session.stop`)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class PreconditionStatus(BaseModel):
    """Whether a step's assumption holds for the case as known so far."""

    model_config = ConfigDict(frozen=True)

    fact: str
    expected: FactValue
    actual: FactValue | None
    status: Literal["met", "unmet", "undeclared"]
    message: str


@dataclass(frozen=True)
class Step:
    """The current step as a face shows it."""

    node: AssessNode | ActionNode | OutcomeNode
    key_messages: list[tuple[str, str, bool]]
    preconditions: list[PreconditionStatus]
    device_checks: list[DeviceCheck]
    known_messages: frozenset[str] = frozenset()
    """Key messages of this step already acknowledged at an earlier step (shown collapsed)."""

    @property
    def new_messages(self) -> list[str]:
        """Key messages shown in full: neither acknowledged here nor at an earlier step."""
        known = self.known_messages
        return [k for k, _, acked in self.key_messages if not acked and k not in known]

    @property
    def is_outcome(self) -> bool:
        return isinstance(self.node, OutcomeNode)


@dataclass(frozen=True)
class _Answered:
    seq: int
    node: str
    answer: str
    facts_before: dict[str, FactValue]
    current_before: str = ""
    pending_before: tuple[str, ...] = ()
    inferred_before: tuple[tuple[str, str], ...] = ()
    for_record: bool = False


@dataclass
class _State:
    current: str
    facts: dict[str, FactValue]
    devices: dict[str, str]
    stack: list[_Answered] = field(default_factory=list)
    acknowledged: dict[str, set[str]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    inferred: list[tuple[str, str]] = field(default_factory=list)
    stopped_seq: int | None = None


def _precondition_statuses(
    node: AssessNode | ActionNode | OutcomeNode, facts: Mapping[str, FactValue]
) -> list[PreconditionStatus]:
    if isinstance(node, OutcomeNode):
        return []
    result = []
    for pre in node.preconditions:
        actual = facts.get(pre.fact)
        status: Literal["met", "unmet", "undeclared"] = (
            "undeclared" if actual is None else "met" if actual == pre.equals else "unmet"
        )
        result.append(
            PreconditionStatus(
                fact=pre.fact,
                expected=pre.equals,
                actual=actual,
                status=status,
                message=pre.message,
            )
        )
    return result


def _device_checks(
    node: AssessNode | ActionNode | OutcomeNode, devices: Mapping[str, str]
) -> list[DeviceCheck]:
    if not isinstance(node, ActionNode):
        return []
    return [check_requirement(req, devices) for req in node.device_requirements]


def _validate_devices(devices: Mapping[str, str]) -> None:
    problems: dict[str, str] = {}
    for role, name in devices.items():
        try:
            get_device(name)
        except StentguideError as exc:
            problems[f"devices.{role}"] = str(exc)
    if problems:
        raise InputError("the case declares devices that cannot be used", problems)


class Session:
    """An immutable protocol run; operations return a new session."""

    __slots__ = ("_clock", "_state", "case", "events", "protocol", "session_id")

    def __init__(
        self,
        protocol: Protocol,
        case: CaseContext,
        session_id: str,
        events: tuple[Event, ...],
        clock: Clock = utc_now,
        _state: _State | None = None,
    ) -> None:
        self.protocol = protocol
        self.case = case
        self.session_id = session_id
        self.events = events
        self._clock = clock
        self._state = _state if _state is not None else self._replay()

    # ----------------------------------------------------------------- derived state
    def _replay(self) -> _State:
        state = _State(
            current=self.protocol.start,
            facts=dict(self.case.facts),
            devices=dict(self.case.devices),
        )
        self._advance(state)
        for event in self.events:
            self._apply(state, event)
        return state

    def _apply(self, state: _State, event: Event) -> None:
        match event:
            case AnsweredEvent(data=data):
                for_record = event.node in state.pending and event.node != state.current
                if not for_record:
                    self._expect_at(event, state.current)
                node = self.protocol.node(event.node or "")
                option_sets, nxt = self._resolve(node, data.answer)
                state.stack.append(
                    _Answered(
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
                    self._advance(state)
            case UndoneEvent(data=data) if state.stopped_seq is not None:
                if data.undoes_seq != state.stopped_seq:
                    raise SessionError(f"event {event.seq} undoes an answer of a stopped run")
                state.stopped_seq = None
            case UndoneEvent():
                if not state.stack:
                    raise SessionError(f"event {event.seq} undoes an answer never given")
                self._expect_at(event, state.stack[-1].node)
                undone = state.stack.pop()
                state.facts = undone.facts_before
                state.current = undone.current_before if undone.for_record else undone.node
                state.pending = list(undone.pending_before)
                state.inferred = list(undone.inferred_before)
            case AcknowledgedEvent(data=data):
                self._expect_at(event, state.current)
                state.acknowledged.setdefault(state.current, set()).update(data.key_messages)
            case DeclaredEvent(data=data):
                state.devices.update(data.devices)
                state.facts.update(data.facts)
                state.pending = [
                    n for n in state.pending if not self._known(self.protocol.node(n), state)
                ]
            case EndedEvent(data=data) if data.category == STOPPED and not isinstance(
                self.protocol.node(state.current), OutcomeNode
            ):
                self._expect_at(event, state.current)
                state.stopped_seq = event.seq
            case StartedEvent() | EnteredEvent() | EndedEvent():
                pass

    @staticmethod
    def _known(node: AssessNode | ActionNode | OutcomeNode, state: _State) -> bool:
        """Whether every fact the question would set is known already."""
        if not isinstance(node, AssessNode):
            return False
        wanted = node.facts_set()
        return bool(wanted) and wanted <= state.facts.keys()

    def _inferred_answer(self, node: AssessNode, state: _State) -> str | None:
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

    def _advance(self, state: _State) -> None:
        """Pass by the questions that need no asking now.

        A question for the record is passed (and kept to ask later unless its facts
        are known); a question whose answer the known facts already give is answered
        by them (listed in :attr:`inferred`).
        """
        for _ in range(len(self.protocol.nodes)):
            node = self.protocol.node(state.current)
            if not isinstance(node, AssessNode):
                return
            if node.for_record:
                if not self._known(node, state) and node.id not in state.pending:
                    state.pending.append(node.id)
                state.current = node.next_ids()[0]
                continue
            inferred = self._inferred_answer(node, state)
            if inferred is None:
                return
            _, nxt = self._resolve(node, inferred)
            state.inferred.append((node.id, inferred))
            state.current = nxt

    @staticmethod
    def _expect_at(event: Event, node: str) -> None:
        if event.node != node:
            raise SessionError(f"event {event.seq} is at {event.node!r}, not the step reached")

    def _resolve(
        self, node: AssessNode | ActionNode | OutcomeNode, answer: str
    ) -> tuple[dict[str, FactValue], str]:
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
        earlier = {
            k for n, keys in self._state.acknowledged.items() if n != node.id for k in keys
        }
        messages = []
        if not isinstance(node, OutcomeNode):
            messages = [
                (key, self.protocol.key_messages[key].text, key in acked)
                for key in node.key_messages
            ]
        return Step(
            node=node,
            key_messages=messages,
            preconditions=_precondition_statuses(node, self._state.facts),
            device_checks=_device_checks(node, self._state.devices),
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
        state = _State(
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
            self._apply(state, event)
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
        data = session._answer_data(node, answer)
        seq = len(session.events)
        answered = session._with([AnsweredEvent(**session._stamp(seq, node.id), data=data)])
        return answered._with(answered._entered_events(seq + 1))

    def _record_later(self, node_id: str, answer: str | float) -> Session:
        """Answer a question for the record that the run passed by; the step stays."""
        node = self.protocol.node(node_id)
        assert isinstance(node, AssessNode)
        data = self._answer_data(node, answer)
        return self._with([AnsweredEvent(**self._stamp(len(self.events), node_id), data=data)])

    def _answer_data(self, node: AssessNode | ActionNode, answer: str | float) -> AnsweredData:
        if node.number is not None:
            question = node.number
            try:
                value = float(answer)
            except (TypeError, ValueError):
                raise InvalidAnswerError(
                    f"node {node.id!r} expects a number in {question.unit}, got {answer!r}"
                ) from None
            if not question.minimum <= value <= question.maximum:
                raise InvalidAnswerError(
                    f"node {node.id!r}: {value:g} {question.unit} is outside the plausible range "
                    f"{question.minimum:g}-{question.maximum:g} {question.unit}"
                )
            branch = next(b for b in question.branches if b.contains(value))
            return AnsweredData(
                answer=branch.id, label=branch.label, value=value, unit=question.unit
            )
        for option in node.answers:
            if option.id == answer:
                contradicted = option.contradicted_by(self._state.facts)
                if contradicted:
                    known = ", ".join(f"{f}={self._state.facts[f]!r}" for f in contradicted)
                    raise InvalidAnswerError(
                        f"node {node.id!r}: answer {answer!r} does not fit what the run "
                        f"already knows ({known})"
                    )
                return AnsweredData(answer=option.id, label=option.label)
        valid = ", ".join(a.id for a in node.answers)
        raise InvalidAnswerError(
            f"node {node.id!r} has no answer {answer!r}; expected one of: {valid}"
        )

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
        _validate_devices(devices)
        _validate_facts(self.protocol, facts)
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
            raise StaleStepError(
                f"the current step is {self._state.current!r}, not {node_id!r}"
            )
        return self.current

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

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, protocol: Protocol | None = None, clock: Clock = utc_now
    ) -> Session:
        """Resume a serialised session; the protocol id and version must match."""
        if not isinstance(data, Mapping) or data.get("format") != SESSION_FORMAT:
            raise SessionError(
                f"not a stentguide session record (expected format {SESSION_FORMAT})"
            )
        missing = [
            k
            for k in ("session_id", "protocol_id", "protocol_version", "case", "events")
            if k not in data
        ]
        if missing:
            raise SessionError(f"session record lacks {', '.join(missing)}")
        protocol = protocol or get_protocol(str(data["protocol_id"]))
        if (protocol.id, protocol.version) != (data["protocol_id"], data["protocol_version"]):
            raise SessionError(
                f"session was recorded with {data['protocol_id']} {data['protocol_version']}, "
                f"not {protocol.id} {protocol.version}"
            )
        try:
            record = SessionRecord.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise SessionError(f"session record is malformed at {where}: {first['msg']}") from None
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
        session = cls(protocol, record.case, record.session_id, events, clock, _State("", {}, {}))
        try:
            state = session._replay()
        except (KeyError, IndexError, SessionError) as exc:
            raise SessionError(f"session events do not replay on {protocol.id}: {exc}") from None
        return cls(protocol, record.case, record.session_id, events, clock, state)

def _validate_facts(protocol: Protocol, facts: Mapping[str, FactValue]) -> None:
    problems: dict[str, str] = {}
    for name, value in facts.items():
        spec = protocol.facts.get(name)
        if spec is None:
            known = ", ".join(protocol.facts) or "none"
            problems[f"facts.{name}"] = f"not a fact of {protocol.id} (known: {known})"
        elif not spec.accepts(value):
            problems[f"facts.{name}"] = f"expected {spec.type}, got {value!r}"
    if problems:
        raise InputError("the case declares facts the protocol does not know", problems)


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
    _validate_devices(case.devices)
    _validate_facts(protocol, case.facts)
    session = Session(protocol, case, session_id or uuid.uuid4().hex, (), clock)
    started = session._with(
        [StartedEvent(**session._stamp(0, None), data=StartedData(case=case))]
    )
    return started._with(started._entered_events(1))
