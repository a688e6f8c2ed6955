"""The data model of a training case, validated at load.

A training case puts one of the management pathways (``knowledge/protocols``)
into a realistic setting and lets a trainee decide at each *moment*. A case is
a directed acyclic graph:

``moments``
    What is seen now and a question, with plausible *choices*, wrong ones
    included. Each choice says what happens (its consequence, from the
    literature), which of the pathway's key messages it keeps or breaks, which
    pathway step it enacts, and what it costs in procedure time and contrast.
``ends``
    Terminal situations, with an outcome category shared with the pathways.

Each moment has exactly one choice marked ``expert``; following them from the
start gives the expert path the debrief shows beside the trainee's own.

Time and contrast costs are **teaching estimates** written by the case author
to make the trade-offs visible, not published figures; the case says so in
``cost_basis`` and every face shows them as estimates.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, model_validator

from stentguide.protocols import OutcomeCategory
from stentguide.protocols.fields import Slug, Sources, StrictModel
from stentguide.protocols.outcomes import check_continue_with

__all__ = [
    "COST_BASIS",
    "Choice",
    "Cost",
    "End",
    "Moment",
    "Setting",
    "TeachingPoint",
    "TrainingCase",
    "Verdict",
]

COST_BASIS = "teaching-estimate"
"""The only accepted ``cost_basis``: costs are the author's estimates, not data."""

Text = Annotated[str, Field(min_length=3)]


class Verdict(str, enum.Enum):
    """How a choice is judged in its situation."""

    expert = "expert"
    acceptable = "acceptable"
    wrong = "wrong"


class Cost(StrictModel):
    """What a choice costs: procedure minutes and contrast (teaching estimates)."""

    minutes: float = Field(ge=0, le=240)
    contrast_ml: float = Field(ge=0, le=500)


class Setting(StrictModel):
    """The situation at the start: anatomy, devices in use, what is seen."""

    patient: Text
    anatomy: Text
    devices: Annotated[list[Text], Field(min_length=1)]
    seen: Text = Field(description="What the screen shows when the case opens.")
    sources: Sources


class Choice(StrictModel):
    """One option at a moment, with what it leads to and what it costs."""

    id: Slug
    label: Text
    verdict: Verdict
    next: Slug
    consequence: Text = Field(description="What happens, as the literature describes it.")
    keeps: list[Slug] = Field(default_factory=list)
    breaks: list[Slug] = Field(default_factory=list)
    step: Slug | None = Field(
        default=None, description="The pathway node this choice enacts, if any."
    )
    cost: Cost
    teaching_point: Text | None = None
    sources: Sources

    @model_validator(mode="after")
    def _keeps_and_breaks_disjoint(self) -> Choice:
        both = sorted(set(self.keeps) & set(self.breaks))
        if both:
            raise ValueError(f"a choice cannot both keep and break {', '.join(both)}")
        return self


class Moment(StrictModel):
    """A decision point: what is seen and the choices on offer."""

    id: Slug
    title: Text
    situation: Text
    question: Text
    choices: Annotated[list[Choice], Field(min_length=2)]
    sources: Sources

    @model_validator(mode="after")
    def _one_expert_choice(self) -> Moment:
        ids = [c.id for c in self.choices]
        if len(ids) != len(set(ids)):
            raise ValueError("choice ids must be unique within a moment")
        experts = [c.id for c in self.choices if c.verdict is Verdict.expert]
        if len(experts) != 1:
            raise ValueError(
                f"exactly one choice must be `expert`, found {len(experts)}"
                + (f" ({', '.join(experts)})" if experts else "")
            )
        return self

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id, or ``None``."""
        return next((c for c in self.choices if c.id == choice_id), None)

    @property
    def expert_choice(self) -> Choice:
        return next(c for c in self.choices if c.verdict is Verdict.expert)


class End(StrictModel):
    """A terminal situation of the case."""

    id: Slug
    title: Text
    outcome: OutcomeCategory
    summary: Text
    continue_with: Slug | None = Field(
        default=None, description="The pathway that takes over (outcome changed-pathway)."
    )
    sources: Sources

    @model_validator(mode="after")
    def _continue_with_iff_changed(self) -> End:
        check_continue_with(self.outcome, self.continue_with, "outcome")
        return self


class TeachingPoint(StrictModel):
    """A lesson of the case, for the debrief."""

    text: Text
    sources: Sources


class TrainingCase(StrictModel):
    """A versioned training case teaching one pathway."""

    id: Slug
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    title: Text
    pathway: Slug = Field(description="The id of the pathway this case teaches.")
    summary: Text
    setting: Setting
    key_messages: Annotated[list[Slug], Field(min_length=1)] = Field(
        description="The pathway's key messages this case puts at stake."
    )
    cost_basis: Literal["teaching-estimate"] = Field(
        description="Costs are the author's teaching estimates, not published figures."
    )
    start: Slug
    moments: Annotated[list[Moment], Field(min_length=1)]
    ends: Annotated[list[End], Field(min_length=1)]
    teaching_points: Annotated[list[TeachingPoint], Field(min_length=1)]
    sources: Sources = Field(description="The references to read after the case.")

    _moments: dict[str, Moment] = PrivateAttr(default_factory=dict)
    _ends: dict[str, End] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        self._moments.update((m.id, m) for m in self.moments)
        self._ends.update((e.id, e) for e in self.ends)

    def moment(self, moment_id: str) -> Moment | None:
        """The moment with this id, or ``None``."""
        return self._moments.get(moment_id)

    def end(self, end_id: str) -> End | None:
        """The end with this id, or ``None``."""
        return self._ends.get(end_id)

    def expert_path(self) -> list[tuple[Moment, Choice]]:
        """The expert's walk from the start: the expert choice at every moment.

        Loading guarantees the walk ends (the graph is acyclic and every choice
        leads to a moment or an end).
        """
        path: list[tuple[Moment, Choice]] = []
        current = self.moment(self.start)
        while current is not None:
            choice = current.expert_choice
            path.append((current, choice))
            current = self.moment(choice.next)
        return path
