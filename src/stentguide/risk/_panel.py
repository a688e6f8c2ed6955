"""Panels: one set of answers that fills several scores (the CTO work-up).

A panel (``knowledge/scores/panels/<name>.yaml``) lists scores and the inputs that
mean the same under different names in different papers. Its fields are the union
of the scores' inputs (and the inputs of the equations that compute a missing
creatinine clearance or eGFR), each asked once. Every score is then run through
:func:`stentguide.risk.score` with its own inputs; a score whose inputs are not all
answered yet says which are missing instead of guessing them. Inputs are in each
score's own units (convert at the edge with :func:`stentguide.risk.to_canonical`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stentguide.errors import InputError, KnowledgeError, UnknownNameError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.risk._api import derivation_sources, score
from stentguide.risk._catalog import get_spec
from stentguide.risk._columns import active_variables, resolve_parameters
from stentguide.risk._model import Variable
from stentguide.risk._result import ScoreResult

__all__ = ["PanelEntry", "PanelSpec", "get_panel", "panel_fields", "score_panel"]


class SharedInput(BaseModel):
    """Inputs of several scores that mean the same thing, asked once under ``name``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    inputs: list[str] = Field(min_length=1, description="score.variable entries")


class PanelSpec(BaseModel):
    """A panel as declared in its YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    purpose: str
    scores: list[str] = Field(min_length=1)
    shared: list[SharedInput] = Field(default_factory=list)


class PanelEntry(BaseModel):
    """One score of a panel: its result, or the inputs it still needs, or what is wrong."""

    model_config = ConfigDict(frozen=True)

    score: str
    title: str
    result: ScoreResult | None = None
    missing: list[str] = Field(default_factory=list)
    problems: dict[str, str] = Field(default_factory=dict)


@functools.cache
def get_panel(name: str) -> PanelSpec:
    """The panel ``name``, validated: its scores exist and its shared inputs are theirs."""
    path = knowledge_path("scores", "panels", f"{name}.yaml")
    if not path.is_file():
        raise UnknownNameError("panel", name, ["cto"])
    try:
        panel = PanelSpec.model_validate(read_yaml(path, origin=f"scores/panels/{name}.yaml"))
    except ValidationError as exc:
        raise KnowledgeError(f"scores/panels/{name}.yaml: {exc}") from exc
    for shared in panel.shared:
        for entry in shared.inputs:
            score_name, _, variable = entry.partition(".")
            if score_name not in panel.scores or not any(
                v.name == variable for v in get_spec(score_name).variables
            ):
                raise KnowledgeError(f"scores/panels/{name}.yaml: unknown input {entry}")
    return panel


def _renames(panel: PanelSpec) -> dict[tuple[str, str], str]:
    return {
        tuple(entry.split(".", 1)): shared.name  # type: ignore[misc]
        for shared in panel.shared
        for entry in shared.inputs
    }


def _score_variables(name: str) -> list[Variable]:
    spec = get_spec(name)
    params = resolve_parameters(spec, None)
    own = active_variables(spec, params)
    extra = [v for s in derivation_sources(spec, params).values() for v in s.variables]
    return own + extra


def panel_fields(name: str) -> list[Variable]:
    """Every input the panel asks, once each, in the order the scores first need them."""
    panel = get_panel(name)
    renames = _renames(panel)
    fields: dict[str, Variable] = {}
    for score_name in panel.scores:
        for var in _score_variables(score_name):
            key = renames.get((score_name, var.name), var.name)
            fields.setdefault(key, var.model_copy(update={"name": key}))
    return list(fields.values())


def score_panel(name: str, inputs: Mapping[str, Any]) -> list[PanelEntry]:
    """Run every score of the panel on the answers given so far."""
    panel = get_panel(name)
    renames = _renames(panel)
    entries = []
    for score_name in panel.scores:
        spec = get_spec(score_name)
        mine: dict[str, Any] = {}
        for var in _score_variables(score_name):
            key = renames.get((score_name, var.name), var.name)
            if inputs.get(key) is not None:
                mine[var.name] = inputs[key]
        try:
            result = score(score_name, mine)
        except InputError as exc:
            missing = [f for f, why in exc.problems.items() if why.startswith("missing")]
            problems = {
                renames.get((score_name, f), f): why
                for f, why in exc.problems.items()
                if not why.startswith("missing")
            }
            missing = [renames.get((score_name, f), f) for f in missing]
            entries.append(
                PanelEntry(score=spec.name, title=spec.title, missing=missing, problems=problems)
            )
            continue
        entries.append(PanelEntry(score=spec.name, title=spec.title, result=result))
    return entries
