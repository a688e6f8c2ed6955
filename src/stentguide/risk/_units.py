"""Laboratory units at the edge: a value in µmol/L or g/L becomes the score's own unit.

The scores keep one canonical unit per input (creatinine in mg/dL, haemoglobin in
g/dL, as the papers state them). Forms, the API and batch files may give a value in
another unit from ``knowledge/scores/units/lab.yaml``; it is converted here, once,
before validation, so every range check and rule sees the canonical unit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stentguide.errors import InputError, KnowledgeError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.references import check_sources

__all__ = [
    "Quantity",
    "UnitAlternative",
    "UnitOption",
    "alternatives_for",
    "column_alias",
    "to_canonical",
    "unit_aliases",
    "unit_options",
]

_FILE = ("scores", "units", "lab.yaml")


class UnitAlternative(BaseModel):
    """Another unit for a quantity and how many of it make one canonical unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str
    suffix: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    per_canonical: float = Field(gt=0)
    confidence: Literal["verified", "secondary", "unconfirmed"]
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class Quantity(BaseModel):
    """A laboratory quantity, its canonical unit, the inputs that carry it, its other units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: str
    canonical: str
    variables: list[str] = Field(min_length=1)
    alternatives: list[UnitAlternative] = Field(min_length=1)


@functools.cache
def _quantities() -> dict[str, Quantity]:
    raw = read_yaml(knowledge_path(*_FILE), origin="scores/units/lab.yaml") or {}
    try:
        items = [Quantity.model_validate(q) for q in raw.get("quantities", [])]
    except ValidationError as exc:
        raise KnowledgeError(f"scores/units/lab.yaml: {exc}") from exc
    check_sources(
        [k for q in items for a in q.alternatives for k in a.sources], "scores/units/lab.yaml"
    )
    return {v: q for q in items for v in q.variables}


class UnitOption(BaseModel):
    """A unit an input may be entered in: its name, API key, and size in canonical units."""

    model_config = ConfigDict(frozen=True)

    unit: str
    key: str
    per_canonical: float
    confidence: str = "verified"


def unit_options(variable: str) -> list[UnitOption]:
    """The units ``variable`` may be given in, canonical first; empty for unitless inputs."""
    quantity = alternatives_for(variable)
    if quantity is None:
        return []
    return [UnitOption(unit=quantity.canonical, key=variable, per_canonical=1.0)] + [
        UnitOption(
            unit=a.unit,
            key=column_alias(variable, a),
            per_canonical=a.per_canonical,
            confidence=a.confidence,
        )
        for a in quantity.alternatives
    ]


def alternatives_for(variable: str) -> Quantity | None:
    """The quantity an input carries, with its other units; None for unitless inputs."""
    return _quantities().get(variable)


def column_alias(variable: str, alternative: UnitAlternative) -> str:
    """The name of an input given in another unit, e.g. ``serum_creatinine_umol_l``."""
    stem = variable.rsplit("_", 2)[0]
    return f"{stem}_{alternative.suffix}"


def unit_aliases(variables: Iterable[str]) -> dict[str, tuple[str, float]]:
    """Each other-unit name of these inputs (``serum_creatinine_umol_l``) -> (input, size)."""
    aliases: dict[str, tuple[str, float]] = {}
    for name in variables:
        quantity = alternatives_for(name)
        for alt in quantity.alternatives if quantity else []:
            aliases[column_alias(name, alt)] = (name, alt.per_canonical)
    return aliases


def to_canonical(variable: str, value: float, unit: str) -> float:
    """``value`` given in ``unit`` as the input's canonical unit; an unknown unit is an error."""
    quantity = alternatives_for(variable)
    if quantity is None or unit == quantity.canonical:
        if quantity is None and unit:
            raise InputError(f"{variable} takes no unit choice", {variable: "takes no unit"})
        return value
    for alt in quantity.alternatives:
        if unit in (alt.unit, alt.suffix):
            return value / alt.per_canonical
    units = ", ".join([quantity.canonical, *(a.unit for a in quantity.alternatives)])
    raise InputError(f"unknown unit for {variable}", {variable: f"unit must be one of {units}"})
