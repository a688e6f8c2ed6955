"""The scoring model of a play-through: one pure function for every face.

The score is out of 100 and has four parts (see ``docs/training.md``):

key messages, 50 points
    The case tracks some of its pathway's key safety messages. Each tracked
    message earns an equal share when a choice of the trainee kept it and no
    choice broke it; a message never put into practice earns nothing, so a
    path cut short by a reckless move scores low.
steps in the right order, 30 points
    Each choice enacts a pathway step (or, off the pathway, stands for
    itself). The trainee's steps are compared with the expert path's by their
    longest common subsequence, divided by the longer of the two sequences:
    a skipped step, a step out of order and a detour all cost points.
time, 10 points, and contrast, 10 points
    The expert path's total over the trainee's total, capped at 1.

Time and contrast are the case author's **teaching estimates** of what each
choice costs, not published figures (``cost_basis: teaching-estimate``).
The expert path scores 100 by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from stentguide.errors import InputError
from stentguide.protocols import get_protocol
from stentguide.training.model import Choice, Moment, TrainingCase

__all__ = [
    "CONTRAST_POINTS",
    "KEY_MESSAGE_POINTS",
    "ORDER_POINTS",
    "TIME_POINTS",
    "KeyMessageResult",
    "Score",
    "ScorePart",
    "common_subsequence_length",
    "score_path",
    "walk",
]

KEY_MESSAGE_POINTS = 50.0
ORDER_POINTS = 30.0
TIME_POINTS = 10.0
CONTRAST_POINTS = 10.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class KeyMessageResult(_Frozen):
    """What became of one tracked key message in the play-through."""

    id: str
    text: str
    status: Literal["kept", "broken", "not-tested"]
    broken_by: list[str]
    sources: list[str]


class ScorePart(_Frozen):
    """One part of the score."""

    name: str
    points: float
    max_points: float
    detail: str


class Score(_Frozen):
    """The score of a path through a case, with everything the debrief shows."""

    total: float
    max_total: float
    parts: list[ScorePart]
    key_messages: list[KeyMessageResult]
    steps: list[str]
    expert_steps: list[str]
    minutes: float
    expert_minutes: float
    contrast_ml: float
    expert_contrast_ml: float
    cost_basis: str

    @property
    def broken(self) -> list[KeyMessageResult]:
        return [k for k in self.key_messages if k.status == "broken"]


def walk(case: TrainingCase, path: Sequence[tuple[str, str]]) -> list[tuple[Moment, Choice]]:
    """Resolve ``(moment, choice)`` pairs as a walk from the case's start.

    Raises :class:`InputError` naming the first pair that does not follow.
    """
    resolved: list[tuple[Moment, Choice]] = []
    expected = case.start
    for index, (moment_id, choice_id) in enumerate(path):
        field = f"path[{index}]"
        if moment_id != expected:
            raise InputError(
                "the path does not follow the case",
                {field: f"expected moment {expected!r}, got {moment_id!r}"},
            )
        moment = case.moment(moment_id)
        if moment is None:
            raise InputError("the path goes past an end", {field: f"{moment_id!r} is not a moment"})
        choice = moment.choice(choice_id)
        if choice is None:
            raise InputError(
                "no such choice", {field: f"moment {moment_id!r} has no choice {choice_id!r}"}
            )
        resolved.append((moment, choice))
        expected = choice.next
    return resolved


def _step(moment: Moment, choice: Choice) -> str:
    return choice.step or f"{moment.id}/{choice.id}"


def common_subsequence_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of ``a`` and ``b``."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _ratio_points(expert: float, trainee: float, points: float) -> float:
    if trainee <= 0 or trainee <= expert:
        return points
    return points * expert / trainee


def _part(name: str, points: float, max_points: float, detail: str) -> ScorePart:
    """One line of the score, its points rounded to one decimal."""
    return ScorePart(name=name, points=round(points, 1), max_points=max_points, detail=detail)


def score_path(case: TrainingCase, path: Sequence[tuple[str, str]]) -> Score:
    """Score a path (``(moment, choice)`` pairs from the start) through ``case``.

    Pure: the same case and path always give the same score. The path need
    not reach an end; the debrief only shows finished plays.
    """
    chosen = walk(case, path)
    expert = case.expert_path()
    pathway = get_protocol(case.pathway)

    results: list[KeyMessageResult] = []
    for key in case.key_messages:
        broken_by = [f"{m.id}/{c.id}" for m, c in chosen if key in c.breaks]
        put_into_practice = any(key in c.keeps for _m, c in chosen)
        status: Literal["kept", "broken", "not-tested"] = (
            "broken" if broken_by else "kept" if put_into_practice else "not-tested"
        )
        message = pathway.key_messages[key]
        results.append(
            KeyMessageResult(
                id=key,
                text=message.text,
                status=status,
                broken_by=broken_by,
                sources=list(message.sources),
            )
        )
    kept = sum(1 for r in results if r.status == "kept")
    key_points = KEY_MESSAGE_POINTS * kept / len(results)

    steps = [_step(m, c) for m, c in chosen]
    expert_steps = [_step(m, c) for m, c in expert]
    longest = max(len(steps), len(expert_steps))
    common = common_subsequence_length(steps, expert_steps)
    order_points = ORDER_POINTS * common / longest if longest else ORDER_POINTS

    minutes = sum(c.cost.minutes for _m, c in chosen)
    contrast = sum(c.cost.contrast_ml for _m, c in chosen)
    expert_minutes = sum(c.cost.minutes for _m, c in expert)
    expert_contrast = sum(c.cost.contrast_ml for _m, c in expert)
    time_points = _ratio_points(expert_minutes, minutes, TIME_POINTS)
    contrast_points = _ratio_points(expert_contrast, contrast, CONTRAST_POINTS)

    parts = [
        _part(
            "key messages",
            key_points,
            KEY_MESSAGE_POINTS,
            f"{kept} of {len(results)} key messages kept",
        ),
        _part(
            "steps in order",
            order_points,
            ORDER_POINTS,
            f"{common} of {longest} steps in the expert's order",
        ),
        _part(
            "time",
            time_points,
            TIME_POINTS,
            f"{minutes:g} min against the expert's {expert_minutes:g} (teaching estimate)",
        ),
        _part(
            "contrast",
            contrast_points,
            CONTRAST_POINTS,
            f"{contrast:g} ml against the expert's {expert_contrast:g} (teaching estimate)",
        ),
    ]
    total = key_points + order_points + time_points + contrast_points
    return Score(
        total=round(total, 1),
        max_total=KEY_MESSAGE_POINTS + ORDER_POINTS + TIME_POINTS + CONTRAST_POINTS,
        parts=parts,
        key_messages=results,
        steps=steps,
        expert_steps=expert_steps,
        minutes=minutes,
        expert_minutes=expert_minutes,
        contrast_ml=contrast,
        expert_contrast_ml=expert_contrast,
        cost_basis=case.cost_basis,
    )
