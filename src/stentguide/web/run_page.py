"""What the step page and the team display show beyond the session view.

The short forms and sources of the key messages, the questions for the record
still to answer, what undo would take back, the outcome's clinical group, the
device checks that apply (only for devices declared) and the registry cases a
run can be attached to. Everything comes from the engine and the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from stentguide.cases import Registry
from stentguide.errors import NotFoundError
from stentguide.protocols import OutcomeNode, Session
from stentguide.protocols.model import OutcomeCategory
from stentguide.references import load_references

__all__ = [
    "CaseChoice",
    "KeyMessageItem",
    "RecordQuestion",
    "case_label",
    "run_extras",
]


@dataclass(frozen=True)
class KeyMessageItem:
    """A key message of the step: its short form, full text, sources and state."""

    id: str
    short: str
    text: str
    sources: list[str]
    acknowledged: bool
    new: bool


@dataclass(frozen=True)
class RecordQuestion:
    """A question for the record the run passed by, with its answers."""

    id: str
    question: str
    options: list[tuple[str, str]]
    matters_here: bool = False


@dataclass(frozen=True)
class CaseChoice:
    """A registry case a run can be attached to."""

    uid: str
    label: str


@dataclass
class Extras:
    key_messages: list[KeyMessageItem]
    record_questions: list[RecordQuestion]
    undo_label: str | None
    undo_what: str | None
    group: str | None
    group_label: str | None
    device_checks: list[Any]
    case_uid: str | None = None
    case_text: str | None = None
    operator: str | None = None
    cases: list[CaseChoice] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        return {"x": self, "run_mode": True}


def case_label(registry: Registry, uid: str | None) -> str | None:
    """``patient id · procedure date`` of a registry case, for lists of runs."""
    if uid is None:
        return None
    try:
        case = registry.cases.get(uid)
    except NotFoundError:
        return uid
    return f"{case.patient_id} · {case.procedure_date.isoformat()}"


def key_message_items(session: Session) -> list[KeyMessageItem]:
    """The current step's key messages, new ones (shown in full) first."""
    step = session.step()
    refs = load_references()
    new = set(step.new_messages)
    items = []
    for key, text, acked in step.key_messages:
        message = session.protocol.key_messages[key]
        items.append(
            KeyMessageItem(
                id=key,
                short=message.short or text,
                text=text,
                sources=[refs[s].citation() if s in refs else s for s in message.sources],
                acknowledged=acked,
                new=key in new,
            )
        )
    return sorted(items, key=lambda item: not item.new)


def record_questions(session: Session) -> list[RecordQuestion]:
    """The questions for the record still open; those a precondition here reads come first."""
    node = session.current
    wanted = set() if isinstance(node, OutcomeNode) else {p.fact for p in node.preconditions}
    found = []
    for question in session.pending_record:
        options = [(a.id, a.label) for a in question.answers]
        if question.number is not None:
            options = [(b.id, b.label) for b in question.number.branches]
        found.append(
            RecordQuestion(
                id=question.id,
                question=question.question,
                options=options,
                matters_here=bool(question.facts_set() & wanted),
            )
        )
    return sorted(found, key=lambda q: not q.matters_here)


def run_extras(request: Request, session: Session, *, with_cases: bool = True) -> Extras:
    """Everything the step page shows beyond :func:`~stentguide.web.views.session_view`."""
    registry: Registry = request.app.state.registry
    last = session.last_answer
    undo_label = undo_what = None
    if last is not None:
        title, label = last
        if label == "Stop now":
            undo_label, undo_what = "Undo the stop and resume the run", "the stop"
        else:
            undo_label, undo_what = f"Undo “{label}” ({title})", f"“{label}”"
    category = session.ending_category
    group = OutcomeCategory(category).group if category else None
    declared = session.devices
    checks = [c for c in session.step().device_checks if c.role in declared]
    extras = Extras(
        key_messages=key_message_items(session),
        record_questions=record_questions(session),
        undo_label=undo_label,
        undo_what=undo_what,
        group=group.value if group else None,
        group_label=group.label if group else None,
        device_checks=checks,
    )
    try:
        summary = registry.runs.summary(session.session_id)
    except NotFoundError:
        return extras
    extras.case_uid = summary.case_uid
    extras.case_text = case_label(registry, summary.case_uid)
    extras.operator = summary.created_by
    if with_cases and summary.case_uid is None:
        extras.cases = [
            CaseChoice(c.uid, f"{c.patient_id} · {c.procedure_date.isoformat()} · {c.operator}")
            for c in registry.cases.find(limit=30)
        ]
    return extras
