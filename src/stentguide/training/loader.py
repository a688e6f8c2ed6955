"""Load training cases from YAML: the shipped library or an author's own file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stentguide.errors import KnowledgeError, UnknownNameError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.training.checks import validate_case
from stentguide.training.model import TrainingCase

__all__ = ["get_case", "load_case_file", "load_cases", "parse_case"]


def _item_id(items: Any, index: Any) -> str | None:
    if isinstance(items, list) and isinstance(index, int) and index < len(items):
        item = items[index]
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return str(item["id"])
    return None


def _locate(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into words, naming moments and choices by id."""
    parts: list[str] = []
    rest = list(loc)
    container = raw
    while len(rest) >= 2 and rest[0] in ("moments", "choices", "ends") and isinstance(rest[1], int):
        kind = {"moments": "moment", "choices": "choice", "ends": "end"}[str(rest[0])]
        items = container.get(rest[0]) if isinstance(container, dict) else None
        found = _item_id(items, rest[1])
        parts.append(f"{kind} {found!r}" if found else f"{kind} #{int(rest[1]) + 1}")
        container = items[rest[1]] if found and isinstance(items, list) else None
        rest = rest[2:]
    if rest:
        parts.append(".".join(str(p) for p in rest))
    return " ".join(parts) or "top level"


def parse_case(raw: Any, origin: str) -> TrainingCase:
    """Validate already-parsed data as a training case; errors name ``origin`` and where."""
    try:
        case = TrainingCase.model_validate(raw)
    except ValidationError as exc:
        reasons = "; ".join(f"{_locate(raw, tuple(e['loc']))}: {e['msg']}" for e in exc.errors())
        raise KnowledgeError(f"{origin}: {reasons}") from None
    return validate_case(case, origin)


def load_case_file(path: str | Path) -> TrainingCase:
    """Load and validate one training case file (YAML or JSON)."""
    path = Path(path)
    return parse_case(read_yaml(path), path.name)


@functools.cache
def load_cases() -> dict[str, TrainingCase]:
    """The shipped case library, by id (loaded and validated once), in file order."""
    cases: dict[str, TrainingCase] = {}
    for path in sorted(knowledge_path("training").glob("*.yaml")):
        case = load_case_file(path)
        if case.id in cases:
            raise KnowledgeError(f"{path.name}: case id {case.id!r} is used twice")
        cases[case.id] = case
    return cases


def get_case(case_id: str) -> TrainingCase:
    """A shipped case by id; :class:`UnknownNameError` with close names otherwise."""
    cases = load_cases()
    try:
        return cases[case_id]
    except KeyError:
        raise UnknownNameError("training case", case_id, cases) from None
