"""Load training cases from YAML: the shipped library or an author's own file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from stentguide.knowledge import load_library, lookup, read_yaml, validate_data
from stentguide.training.checks import validate_case
from stentguide.training.model import TrainingCase

__all__ = ["get_case", "load_case_file", "load_cases", "parse_case"]


def parse_case(raw: Any, origin: str) -> TrainingCase:
    """Validate already-parsed data as a training case; errors name ``origin`` and where."""
    case = validate_data(
        TrainingCase,
        raw,
        origin,
        names={"moments": "moment", "choices": "choice", "ends": "end"},
    )
    return validate_case(case, origin)


def load_case_file(path: str | Path) -> TrainingCase:
    """Load and validate one training case file (YAML or JSON)."""
    path = Path(path)
    return parse_case(read_yaml(path), path.name)


@functools.cache
def load_cases() -> dict[str, TrainingCase]:
    """The shipped case library, by id (loaded and validated once), in file order."""
    return load_library("training", load_case_file, lambda c: c.id, kind="case")


def get_case(case_id: str) -> TrainingCase:
    """A shipped case by id; :class:`UnknownNameError` with close names otherwise."""
    return lookup(load_cases(), case_id, "training case")
