"""Training mode: realistic cases that teach the management pathways.

A fellow picks a case from the library, decides at each moment among
plausible choices (wrong ones included), sees what each choice leads to, and
gets a debrief: their path beside the expert's, each key message kept or
broken, a score, the time taken and the references to read.

>>> from stentguide.training import load_cases, play_choices, debrief
>>> case = next(iter(load_cases().values()))  # doctest: +SKIP
>>> play = play_choices(case, [c.id for _m, c in case.expert_path()])  # doctest: +SKIP
>>> debrief(play).score.total  # doctest: +SKIP
100.0
"""

from stentguide.training.checks import case_problems, validate_case
from stentguide.training.debrief import Debrief, DebriefStep, ReadingItem, debrief
from stentguide.training.loader import get_case, load_case_file, load_cases, parse_case
from stentguide.training.model import (
    COST_BASIS,
    Choice,
    Cost,
    End,
    Moment,
    Setting,
    TeachingPoint,
    TrainingCase,
    Verdict,
)
from stentguide.training.player import PLAY_FORMAT, ChoiceMade, Play, begin, play_choices
from stentguide.training.scoring import KeyMessageResult, Score, ScorePart, score_path
from stentguide.training.store import AttemptStore, ProgressRow, StoredAttempt

__all__ = [
    "COST_BASIS",
    "PLAY_FORMAT",
    "AttemptStore",
    "Choice",
    "ChoiceMade",
    "Cost",
    "Debrief",
    "DebriefStep",
    "End",
    "KeyMessageResult",
    "Moment",
    "Play",
    "ProgressRow",
    "ReadingItem",
    "Score",
    "ScorePart",
    "Setting",
    "StoredAttempt",
    "TeachingPoint",
    "TrainingCase",
    "Verdict",
    "begin",
    "case_problems",
    "debrief",
    "get_case",
    "load_case_file",
    "load_cases",
    "parse_case",
    "play_choices",
    "score_path",
    "validate_case",
]
