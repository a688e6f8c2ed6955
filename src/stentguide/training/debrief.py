"""The debrief of a finished play: the trainee's path beside the expert's.

One structure for the CLI, the web pages and the attempt store: each decision
with its consequence and teaching point, each key message kept or broken, the
score and its parts, the time taken, the teaching points and the references to
read.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from stentguide.errors import InputError
from stentguide.references import reference
from stentguide.training.model import Choice, Moment, TrainingCase
from stentguide.training.player import Play
from stentguide.training.scoring import Score, score_path

__all__ = ["Debrief", "DebriefStep", "ReadingItem", "debrief", "expert_steps"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DebriefStep(_Frozen):
    """One decision on a path."""

    moment: str
    moment_title: str
    choice: str
    label: str
    verdict: str
    consequence: str
    teaching_point: str | None
    keeps: list[str]
    breaks: list[str]
    minutes: float
    contrast_ml: float
    sources: list[str]
    at: datetime | None = None


class ReadingItem(_Frozen):
    """A reference to read after the case."""

    key: str
    citation: str


class Debrief(_Frozen):
    """Everything shown after a case has been played to an end."""

    case_id: str
    case_version: str
    title: str
    pathway: str
    end_id: str
    end_title: str
    outcome: str
    end_summary: str
    continue_with: str | None
    trainee_path: list[DebriefStep]
    expert_path: list[DebriefStep]
    score: Score
    started_at: datetime
    finished_at: datetime
    elapsed_seconds: float
    teaching_points: list[str]
    reading: list[ReadingItem]


def _step(moment: Moment, choice: Choice, at: datetime | None = None) -> DebriefStep:
    return DebriefStep(
        moment=moment.id,
        moment_title=moment.title,
        choice=choice.id,
        label=choice.label,
        verdict=choice.verdict.value,
        consequence=choice.consequence,
        teaching_point=choice.teaching_point,
        keeps=list(choice.keeps),
        breaks=list(choice.breaks),
        minutes=choice.cost.minutes,
        contrast_ml=choice.cost.contrast_ml,
        sources=list(choice.sources),
        at=at,
    )


def expert_steps(case: TrainingCase) -> list[DebriefStep]:
    """The expert path as debrief steps."""
    return [_step(m, c) for m, c in case.expert_path()]


def debrief(play: Play) -> Debrief:
    """The debrief of a finished play; :class:`InputError` if it has not ended."""
    end = play.end
    if end is None:
        raise InputError(
            "the case is not finished",
            {"choice": f"moment {play.current.id!r} still awaits a choice"},
        )
    case = play.case
    made = play.choices
    return Debrief(
        case_id=case.id,
        case_version=case.version,
        title=case.title,
        pathway=case.pathway,
        end_id=end.id,
        end_title=end.title,
        outcome=end.outcome.value,
        end_summary=end.summary,
        continue_with=end.continue_with,
        trainee_path=[_step(c.moment, c.choice, c.at) for c in made],
        expert_path=expert_steps(case),
        score=score_path(case, play.path),
        started_at=play.started_at,
        finished_at=play.last_at,
        elapsed_seconds=play.elapsed_seconds,
        teaching_points=[p.text for p in case.teaching_points],
        reading=[ReadingItem(key=k, citation=reference(k).citation()) for k in case.sources],
    )
