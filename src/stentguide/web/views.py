"""What a page and the JSON API show of a session: one set of pydantic models for both.

The builders here only copy and format what the engine returns
(:meth:`Session.step`, :meth:`Session.options`, the event log); the decisions,
checks and numbers are the engine's and the device catalogue's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from stentguide.devices import DeviceCheck
from stentguide.protocols import (
    ActionNode,
    OutcomeNode,
    PreconditionStatus,
    Protocol,
    Session,
    record,
)
from stentguide.references import load_references

__all__ = [
    "KeyMessageView",
    "NumberView",
    "OptionView",
    "ParameterView",
    "SessionView",
    "SourceView",
    "StepView",
    "TimelineEntry",
    "protocol_roles",
    "session_view",
    "sources_view",
    "step_view",
    "timeline",
]


class SourceView(BaseModel):
    """A cited reference, as one line."""

    key: str
    citation: str


class KeyMessageView(BaseModel):
    """A safety message bound to the step, and whether it was acknowledged."""

    id: str
    text: str
    acknowledged: bool


class ParameterView(BaseModel):
    """A setting of an action, with its unit and sources."""

    name: str
    value: float | str
    unit: str | None
    note: str | None
    sources: list[str]


class OptionView(BaseModel):
    """One answer the step accepts."""

    id: str
    label: str


class NumberView(BaseModel):
    """A numeric question: the value selects the branch."""

    unit: str
    minimum: float
    maximum: float


class StepView(BaseModel):
    """The current step with everything the operator needs to act on it."""

    node: str
    kind: Literal["assess", "action", "outcome"]
    title: str
    question: str | None = None
    instruction: str | None = None
    detail: str | None = None
    parameters: list[ParameterView] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)
    key_messages: list[KeyMessageView] = Field(default_factory=list)
    preconditions: list[PreconditionStatus] = Field(default_factory=list)
    device_checks: list[DeviceCheck] = Field(default_factory=list)
    options: list[OptionView] = Field(default_factory=list)
    number: NumberView | None = None
    category: str | None = Field(default=None, description="Outcome category, at an outcome.")
    summary: str | None = None
    follow_up: list[str] = Field(default_factory=list)
    continue_with: str | None = Field(
        default=None, description="The pathway to continue with, for a changed-pathway outcome."
    )
    sources: list[str]


class TimelineEntry(BaseModel):
    """One line of the running record."""

    seq: int
    at: str
    elapsed_seconds: float
    type: str
    node: str | None
    text: str


class SessionView(BaseModel):
    """A session as the API returns it: the step, the record and the derived summary."""

    session_id: str
    protocol_id: str
    protocol_version: str
    protocol_title: str
    finished: bool
    step: StepView
    path: list[str]
    answers: list[dict[str, str]]
    devices: dict[str, str]
    facts: dict[str, bool | int | float | str]
    timeline: list[TimelineEntry]
    can_undo: bool
    summary: dict[str, Any]


def step_view(session: Session) -> StepView:
    """The current step of ``session``."""
    step = session.step()
    node = step.node
    base: dict[str, Any] = {
        "node": node.id,
        "kind": node.kind,
        "title": node.title,
        "detail": node.detail,
        "sources": list(node.sources),
        "key_messages": [
            KeyMessageView(id=k, text=t, acknowledged=a) for k, t, a in step.key_messages
        ],
        "preconditions": step.preconditions,
        "device_checks": step.device_checks,
        "options": [OptionView(id=i, label=label) for i, label in session.options()],
    }
    if isinstance(node, OutcomeNode):
        base.update(
            category=node.category.value,
            summary=node.summary,
            follow_up=list(node.follow_up),
            continue_with=node.continue_with,
        )
        return StepView(**base)
    base["question"] = node.question
    if node.number is not None:
        base["number"] = NumberView(
            unit=node.number.unit, minimum=node.number.minimum, maximum=node.number.maximum
        )
    if isinstance(node, ActionNode):
        base.update(
            instruction=node.instruction,
            avoid=list(node.avoid),
            parameters=[
                ParameterView(
                    name=p.name, value=p.value, unit=p.unit, note=p.note, sources=list(p.sources)
                )
                for p in node.parameters
            ],
        )
    return StepView(**base)


def _event_text(protocol: Protocol, event: record.Event) -> str:
    title = protocol.node(event.node).title if event.node else ""
    match event:
        case record.StartedEvent():
            return f"Started {protocol.title}"
        case record.EnteredEvent():
            return f"Step: {title}"
        case record.AcknowledgedEvent(data=data):
            texts = [protocol.key_messages[k].text for k in data.key_messages]
            return "Acknowledged: " + " / ".join(texts)
        case record.AnsweredEvent(data=data):
            value = f" ({data.value:g} {data.unit})" if data.value is not None else ""
            return f"{title}: {data.label}{value}"
        case record.UndoneEvent(data=data):
            reason = f" ({data.reason})" if data.reason else ""
            return f"Undone: answer {data.answer!r} at {title}{reason}"
        case record.DeclaredEvent(data=data):
            parts = [f"{k} = {v}" for k, v in {**data.devices, **data.facts}.items()]
            return "Declared " + ", ".join(parts)
        case record.EndedEvent(data=data):
            return f"Outcome: {title} [{data.category}]"


def timeline(session: Session) -> list[TimelineEntry]:
    """The record as timed lines (the ``entered`` of a step right after an answer is folded)."""
    if not session.events:
        return []
    t0 = session.events[0].at
    return [
        TimelineEntry(
            seq=e.seq,
            at=e.at.isoformat(),
            elapsed_seconds=(e.at - t0).total_seconds(),
            type=e.type,
            node=e.node,
            text=_event_text(session.protocol, e),
        )
        for e in session.events
    ]


def session_view(session: Session) -> SessionView:
    """Everything the run page and ``GET /api/sessions/{id}`` show."""
    return SessionView(
        session_id=session.session_id,
        protocol_id=session.protocol.id,
        protocol_version=session.protocol.version,
        protocol_title=session.protocol.title,
        finished=session.finished,
        step=step_view(session),
        path=session.path,
        answers=[{"node": n, "answer": a} for n, a in session.answers],
        devices=session.devices,
        facts=session.facts,
        timeline=timeline(session),
        can_undo=bool(session.answers),
        summary=session.summary(),
    )


def sources_view(keys: list[str]) -> list[SourceView]:
    """The references behind ``keys``, in order, once each (unknown keys are skipped)."""
    refs = load_references()
    return [
        SourceView(key=k, citation=refs[k].citation()) for k in dict.fromkeys(keys) if k in refs
    ]


def protocol_roles(protocol: Protocol) -> list[str]:
    """Device roles a run of ``protocol`` can use: the guide first, then the steps' roles."""
    roles = ["guide", "guide_extension", "guidewire"]
    for node in protocol.nodes:
        if isinstance(node, ActionNode):
            for req in node.device_requirements:
                roles.extend([req.role, *req.fits_with])
    return list(dict.fromkeys(roles))
