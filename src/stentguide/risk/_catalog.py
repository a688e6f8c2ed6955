"""Loading the score specs shipped in ``knowledge/scores/`` (validated, cached, lazy)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stentguide.errors import InputError, KnowledgeError
from stentguide.knowledge import knowledge_path, load_library, lookup, read_yaml
from stentguide.references import check_sources
from stentguide.risk._model import ScoreSpec, WithheldScore

__all__ = ["all_specs", "get_spec", "withheld_scores"]

_WITHHELD_FILE = "withheld.yaml"


def _read(name: str) -> Any:
    return read_yaml(knowledge_path("scores", name), origin=f"scores/{name}")


def _spec_sources(spec: ScoreSpec) -> list[str]:
    keys = list(spec.sources)
    keys += [k for p in spec.parameters for k in p.sources]
    keys += [k for r in spec.rules for k in r.sources]
    for cat in spec.categories:
        keys += cat.sources
        keys += [k for o in cat.outcome for k in o.sources]
        keys += [k for r in cat.rates for k in r.sources]
        keys += [k for n in cat.next_steps for k in n.sources]
    keys += [k for o in spec.outcome for k in o.sources]
    keys += [k for n in spec.next_steps for k in n.sources]
    return keys


def _check_derivations(specs: dict[str, ScoreSpec]) -> None:
    """A derivable input names a shipped equation whose unit is the input's unit."""
    for spec in specs.values():
        for var in spec.variables:
            if var.derived_from is None:
                continue
            source = specs.get(var.derived_from)
            if source is None or source.kind != "equation" or source.unit != var.unit:
                raise KnowledgeError(
                    f"scores/{spec.name}.yaml: {var.name} derived_from {var.derived_from!r}"
                    " must name an equation score with the same unit"
                )


@functools.cache
def all_specs() -> dict[str, ScoreSpec]:
    """Every shipped score spec by name; each validated and its sources checked."""
    specs = load_library(
        "scores", _load_spec, lambda spec: spec.name, kind="score", skip={_WITHHELD_FILE}
    )
    _check_derivations(specs)
    return specs


def _load_spec(path: Path) -> ScoreSpec:
    try:
        spec = ScoreSpec.model_validate(_read(path.name))
    except ValidationError as exc:
        raise KnowledgeError(f"scores/{path.name}: {exc}") from exc
    if f"{spec.name}.yaml" != path.name:
        raise KnowledgeError(f"scores/{path.name}: declares name {spec.name!r}")
    check_sources(_spec_sources(spec), f"scores/{path.name}")
    return spec


@functools.cache
def withheld_scores() -> tuple[WithheldScore, ...]:
    """Scores known but not shipped, each with the reason."""
    raw = _read(_WITHHELD_FILE) or {}
    try:
        items = tuple(WithheldScore.model_validate(x) for x in raw.get("withheld", []))
    except ValidationError as exc:
        raise KnowledgeError(f"scores/{_WITHHELD_FILE}: {exc}") from exc
    check_sources([k for w in items for k in w.sources], f"scores/{_WITHHELD_FILE}")
    return items


def get_spec(name: str) -> ScoreSpec:
    """The spec of score ``name``; a withheld score or an unknown name is an input error."""
    specs = all_specs()
    if name in specs:
        return specs[name]
    for item in withheld_scores():
        if item.name == name:
            raise InputError(f"{item.title} is not available yet: {item.reason.strip()}")
    return lookup(specs, name, "score")
