"""The data model of a management pathway (a *protocol*), validated at load.

A protocol is a directed acyclic graph of nodes:

``assess``
    A question with typed answers: a choice among named options, or a number
    (with unit and allowed range) whose value selects a branch.
``action``
    What to do, with parameters (value + unit + source), the device
    requirements the step needs, the key messages that apply, and a question
    about what happened, whose answers lead on.
``outcome``
    A terminal node with a category (retrieved, removed en bloc, ...).

Every node cites at least one reference. Key messages are declared once per
protocol and bound to the steps where they apply. Answers may *set facts*
(``wire_in_place: false``) that later preconditions read.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, model_validator

from stentguide.devices import DeviceRequirement
from stentguide.errors import InputError
from stentguide.protocols.facts import FactSpec, Precondition
from stentguide.protocols.fields import FactName, FactValue, RoleName, Slug, Sources, StrictModel
from stentguide.protocols.outcomes import (
    EvidenceGrade,
    OutcomeCategory,
    OutcomeGroup,
    check_continue_with,
)

__all__ = [
    "ActionNode",
    "Answer",
    "AssessNode",
    "EvidenceGrade",
    "FactSpec",
    "FactValue",
    "KeyMessage",
    "Node",
    "NumberBranch",
    "OutcomeCategory",
    "OutcomeGroup",
    "OutcomeNode",
    "Parameter",
    "Precondition",
    "Protocol",
    "Review",
    "Slug",
    "Sources",
    "StopCriterion",
]


class KeyMessage(StrictModel):
    """A safety message declared once and shown at every step that binds it.

    ``every_step: true`` declares that the message applies at every assess and
    action step of the pathway except those listed in ``except_at`` (with the
    reason); loading checks that it is bound to each of them.
    """

    text: str = Field(min_length=3)
    short: str | None = Field(
        default=None,
        min_length=2,
        max_length=32,
        description="A few words for the step page (e.g. 'keep the wire'); the text expands it.",
    )
    sources: Sources
    every_step: bool = False
    except_at: list[Slug] = Field(default_factory=list)
    except_reason: str | None = None

    @model_validator(mode="after")
    def _exceptions_explained(self) -> KeyMessage:
        if self.except_at and not self.every_step:
            raise ValueError("`except_at` goes with `every_step: true`")
        if self.except_at and not self.except_reason:
            raise ValueError("say why the message does not apply there (`except_reason`)")
        return self


class StopCriterion(StrictModel):
    """A sourced limit checked at every escalation step (contrast, radiation, time).

    ``action`` says what reaching the threshold means: ``stop`` (the source ties the
    limit to harm and the step offers to stop), ``weigh`` (a threshold with a
    meaning, to weigh against the next step, not a stop rule) or ``record``
    (document it for follow-up). ``confidence: unconfirmed`` marks a figure whose
    primary source could not be checked.
    """

    measure: Literal["contrast", "air-kerma", "procedure-time"]
    threshold: str = Field(min_length=3, description="The limit as the source states it.")
    value: float | None = Field(default=None, gt=0)
    unit: str | None = None
    meaning: str = Field(min_length=3)
    action: Literal["stop", "weigh", "record"]
    confidence: Literal["confirmed", "unconfirmed"]
    sources: Sources


class Review(StrictModel):
    """A clinical review of one version of the pathway."""

    reviewer: str = Field(min_length=3)
    role: str = Field(min_length=3)
    date: dt.date
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    outcome: Literal["changes-made", "approved", "sign-off-pending"]
    notes: str = Field(min_length=3)


class Parameter(StrictModel):
    """A named setting of an action, e.g. inflation pressure 3 atm."""

    name: str
    value: int | float | str
    unit: str | None = None
    note: str | None = None
    sources: Sources


class Answer(StrictModel):
    """One option of a choice question.

    ``only_if`` names facts the answer requires: when the run already knows one of
    them with another value, the answer is not offered and is refused (the lesion
    type set at the start is not asked again).
    """

    id: Slug
    label: str = Field(min_length=1)
    next: Slug
    sets: dict[FactName, FactValue] = Field(default_factory=dict)
    only_if: dict[FactName, FactValue] = Field(default_factory=dict)
    note: str | None = None

    def contradicted_by(self, facts: Mapping[str, FactValue]) -> list[str]:
        """The required facts the run knows with another value."""
        return [f for f, v in self.only_if.items() if f in facts and facts[f] != v]


class NumberBranch(StrictModel):
    """One range of a numeric question: ``min <= value < max`` leads to ``next``."""

    id: Slug
    label: str
    min: float | None = None
    max: float | None = None
    next: Slug
    sets: dict[FactName, FactValue] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


class NumberQuestion(StrictModel):
    """A numeric answer with its unit, plausible range and branches."""

    unit: str
    minimum: float
    maximum: float
    branches: Annotated[list[NumberBranch], Field(min_length=1)]

    @model_validator(mode="after")
    def _branches_cover_range(self) -> NumberQuestion:
        if self.minimum >= self.maximum:
            raise ValueError("minimum must be below maximum")
        probes = {self.minimum, self.maximum}
        for b in self.branches:
            probes.update(v for v in (b.min, b.max) if v is not None)
        for probe in sorted(probes):
            if not self.minimum <= probe <= self.maximum:
                continue
            hits = [b.id for b in self.branches if b.contains(probe)]
            if len(hits) != 1:
                raise ValueError(f"value {probe:g} falls in {len(hits)} branches, expected 1")
        return self


class _NodeBase(StrictModel):
    id: Slug
    title: str = Field(min_length=3)
    sources: Sources
    detail: str | None = Field(default=None, description="Evidence and context, for teaching.")
    evidence: EvidenceGrade | None = Field(
        default=None, description="The strongest kind of evidence behind the step."
    )


class _AskingNode(_NodeBase):
    question: str = Field(min_length=3)
    answers: list[Answer] = Field(default_factory=list)
    number: NumberQuestion | None = None
    key_messages: list[Slug] = Field(default_factory=list)
    preconditions: list[Precondition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_answer_kind(self) -> _AskingNode:
        if bool(self.answers) == (self.number is not None):
            raise ValueError("give either `answers` (a choice) or `number`, not both or neither")
        ids = [a.id for a in self.answers] + [
            b.id for b in (self.number.branches if self.number else [])
        ]
        if len(ids) != len(set(ids)):
            raise ValueError("answer ids must be unique within a node")
        return self

    def next_ids(self) -> list[str]:
        if self.number is not None:
            return [b.next for b in self.number.branches]
        return [a.next for a in self.answers]


class AssessNode(_AskingNode):
    """A question about the situation.

    A question ``for_record`` does not change the next step (every answer leads to
    the same node): a run passes it by and asks it after the action or at the end.
    """

    kind: Literal["assess"]
    for_record: bool = Field(
        default=False,
        description="Asked for the registry after the action or at the end, not before it.",
    )

    @model_validator(mode="after")
    def _record_question_does_not_branch(self) -> AssessNode:
        if self.for_record and len(set(self.next_ids())) != 1:
            raise ValueError(
                "a question `for_record` must lead to the same step whatever the answer "
                f"(it leads to {', '.join(sorted(set(self.next_ids())))})"
            )
        return self

    def facts_set(self) -> set[str]:
        """The facts some answer of this question sets."""
        found = {name for a in self.answers for name in a.sets}
        if self.number is not None:
            found |= {name for b in self.number.branches for name in b.sets}
        return found


class ActionNode(_AskingNode):
    """Something to do, then a question about what happened."""

    kind: Literal["action"]
    instruction: str = Field(min_length=3)
    parameters: list[Parameter] = Field(default_factory=list)
    device_requirements: list[DeviceRequirement] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list, description="What not to do at this step.")

    @model_validator(mode="after")
    def _one_requirement_per_role(self) -> ActionNode:
        roles = [r.role for r in self.device_requirements]
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(
                f"device role(s) {', '.join(dupes)} appear in more than one requirement: "
                "each requirement binds to the one device role it concerns"
            )
        return self


class OutcomeNode(_NodeBase):
    """A terminal node."""

    kind: Literal["outcome"]
    category: OutcomeCategory
    summary: str = Field(min_length=3)
    follow_up: list[str] = Field(default_factory=list)
    continue_with: Slug | None = Field(
        default=None, description="The protocol to continue with (category changed-pathway)."
    )

    @model_validator(mode="after")
    def _continue_with_iff_changed(self) -> OutcomeNode:
        check_continue_with(self.category, self.continue_with, "category")
        return self

    def next_ids(self) -> list[str]:
        return []


Node = Annotated[AssessNode | ActionNode | OutcomeNode, Field(discriminator="kind")]


class Protocol(StrictModel):
    """A versioned management pathway."""

    id: Slug
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    title: str
    summary: str
    when_to_use: str
    evidence_note: str = Field(description="How strong the evidence behind this pathway is.")
    start: Slug
    key_messages: dict[Slug, KeyMessage]
    facts: dict[FactName, FactSpec] = Field(default_factory=dict)
    device_roles: dict[RoleName, str] = Field(
        default_factory=dict,
        description="The device roles the steps' requirements bind to, with what each is.",
    )
    stop_criteria: dict[Slug, StopCriterion] = Field(
        default_factory=dict,
        description="Limits checked at every escalation step; each action step offers to stop.",
    )
    stop_exempt: dict[Slug, str] = Field(
        default_factory=dict,
        description="Action steps that do not offer stop-now (a complication being treated), why.",
    )
    nodes: Annotated[list[Node], Field(min_length=2)]
    sources: Sources
    reviews: list[Review] = Field(
        default_factory=list,
        description="Clinical reviews, oldest first; loading requires one of this version.",
    )

    @functools.cached_property
    def _index(self) -> dict[str, AssessNode | ActionNode | OutcomeNode]:
        return {n.id: n for n in self.nodes}

    @functools.cached_property
    def case_roles(self) -> tuple[str, ...]:
        """The device roles a case may declare for this pathway: the guide (and a guide
        extension), which hold the devices, the declared ``device_roles``, and every role
        a step's requirement checks or fits with, in order of first use."""
        roles = ["guide", "guide_extension", *self.device_roles]
        for node in self.nodes:
            if isinstance(node, ActionNode):
                for req in node.device_requirements:
                    roles.extend([req.role, *req.fits_with])
        return tuple(dict.fromkeys(roles))

    def check_device_roles(self, devices: Mapping[str, str]) -> None:
        """Refuse a declared role this pathway does not use (a typo would be silently ignored).

        Raises :class:`~stentguide.errors.InputError` naming each unknown role
        (``devices.<role>``) with the closest role and the list of valid ones.
        """
        import difflib

        problems: dict[str, str] = {}
        for role in devices:
            if role in self.case_roles:
                continue
            close = difflib.get_close_matches(role, self.case_roles, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}? " if close else ""
            problems[f"devices.{role}"] = (
                f"not a device role of {self.id}; {hint}(roles: {', '.join(self.case_roles)})"
            )
        if problems:
            raise InputError("unknown device role", problems)

    def not_a_fact(self, name: str) -> str:
        """Why ``name`` is refused as a fact of this pathway: it is not declared."""
        known = ", ".join(self.facts) or "none"
        return f"not a fact of {self.id} (known: {known})"

    def parse_facts(self, raw: Mapping[str, str]) -> dict[str, FactValue]:
        """Facts typed as text, each parsed by its declared type; blank values are left out.

        Raises :class:`~stentguide.errors.InputError` naming each unknown or bad fact
        (``facts.<name>``), so the CLI and the web parse a fact the same way.
        """
        facts: dict[str, FactValue] = {}
        problems: dict[str, str] = {}
        for name, text in raw.items():
            spec = self.facts.get(name)
            if spec is None:
                problems[f"facts.{name}"] = self.not_a_fact(name)
                continue
            if not text.strip():
                continue
            try:
                facts[name] = spec.parse(text)
            except ValueError as exc:
                problems[f"facts.{name}"] = str(exc)
        if problems:
            raise InputError("the case declares facts the pathway cannot use", problems)
        return facts

    def node(self, node_id: str) -> AssessNode | ActionNode | OutcomeNode:
        """The node with this id (``KeyError`` if none; loading guarantees ids resolve)."""
        return self._index[node_id]

    @property
    def outcomes(self) -> list[OutcomeNode]:
        return [n for n in self.nodes if isinstance(n, OutcomeNode)]
