"""What a scored case returns: points, category, the published figure, and why."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from stentguide.risk._model import NextStep, OutcomeFigure, Rate, Tone

__all__ = ["Component", "ScoreInfo", "ScoreResult", "outcome_text"]

_CONFIDENCE_TAG = {
    "verified": "",
    "secondary": " [secondary source]",
    "unconfirmed": " [unconfirmed]",
}


class Component(BaseModel):
    """One rule of the score and what it contributed to this case."""

    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    met: bool
    points: float
    group: str | None = None
    note: str | None = None
    sources: list[str]


class ScoreResult(BaseModel):
    """The result of one case: value, category, published outcome, components, sources."""

    model_config = ConfigDict(frozen=True)

    score: str
    title: str
    value: float = Field(description="The total (points, criteria met) or the equation's value.")
    unit: str
    points: int | float | None = Field(
        description="The total for points scores; None for equations."
    )
    category: str | None
    category_label: str | None = Field(description="The band of the total, as published.")
    outcome: list[OutcomeFigure] = Field(description="Published figures for this category.")
    outcome_text: str
    tone: Tone = Field(
        default="neutral", description="What the category means: favourable, caution, unfavourable."
    )
    summary: str = Field(default="", description="The result in plain words.")
    rates: list[Rate] = Field(default_factory=list, description="Rates published for the category.")
    next_steps: list[NextStep] = Field(
        default_factory=list, description="What the paper says to do next, with its source."
    )
    derived: dict[str, str] = Field(
        default_factory=dict,
        description="Inputs computed by another equation score (input -> score name).",
    )
    group_counts: dict[str, int] = Field(default_factory=dict)
    near_cutoff: bool = Field(
        default=False, description="The total is within the spec's uncertainty margin of a cut-off."
    )
    components: list[Component]
    inputs: dict[str, bool | float | str]
    parameters: dict[str, float | str]
    notes: list[str] = Field(description="Reconstruction and uncertainty notes of the score.")
    sources: list[str]
    citations: list[str]


class ScoreInfo(BaseModel):
    """A line of the score catalogue; withheld scores carry the reason instead."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    available: bool
    purpose: str | None = None
    kind: str | None = None
    reason: str | None = None


def outcome_text(figures: list[OutcomeFigure]) -> str:
    """The figures as one line, each tagged when it is not from a verified reading."""
    return "; ".join(f"{f.text}{_CONFIDENCE_TAG[f.confidence]}" for f in figures)
