"""Published figures the dashboard sets beside a registry's own rates.

The figures are data (``knowledge/registry/literature.yaml``), each with its
source and a ``confidence`` saying how far it transfers to a contemporary cath
lab; the parameters of the synthetic demo registry live beside them
(``knowledge/registry/demo.yaml``). Both are validated here when loaded, and
every cited source must exist in ``knowledge/references/``.
"""

from __future__ import annotations

import functools
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stentguide.errors import KnowledgeError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.references import check_sources

__all__ = [
    "DemoParameters",
    "LiteratureFigure",
    "LiteratureMetric",
    "load_demo_parameters",
    "load_literature",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LiteratureFigure(_Frozen):
    """One published rate, in percent, with its source."""

    label: str
    percent: float | None = Field(default=None, ge=0, le=100)
    range_percent: tuple[float, float] | None = None
    ci_percent: tuple[float, float] | None = None
    events: int | None = Field(default=None, ge=0)
    total: int | None = Field(default=None, gt=0)
    population: str
    sources: list[str] = Field(min_length=1)
    confidence: Literal["high", "moderate", "low"]
    note: str | None = None

    @property
    def bounds(self) -> tuple[float, float] | None:
        """The published interval or range, in percent, when there is one."""
        return self.ci_percent or self.range_percent

    @model_validator(mode="after")
    def _consistent(self) -> LiteratureFigure:
        if (self.percent is None) == (self.range_percent is None):
            raise ValueError("give percent or range_percent, not both or neither")
        if self.range_percent is not None:
            if not 0 <= self.range_percent[0] <= self.range_percent[1] <= 100:
                raise ValueError(f"range_percent {self.range_percent} is not a range in 0-100")
            if self.events is not None or self.ci_percent is not None:
                raise ValueError("a published range has no counts or interval")
            return self
        assert self.percent is not None
        if self.ci_percent is not None:
            low, high = self.ci_percent
            if not 0 <= low <= self.percent <= high <= 100:
                raise ValueError(f"ci_percent {self.ci_percent} does not bracket {self.percent}")
        if (self.events is None) != (self.total is None):
            raise ValueError("give both events and total, or neither")
        if self.events is not None and self.total is not None:
            if self.events > self.total:
                raise ValueError("events exceed total")
            counted = 100 * self.events / self.total
            if abs(counted - self.percent) > 0.05 * max(self.percent, 0.1):
                raise ValueError(
                    f"{self.events}/{self.total} is {counted:.2f}%, not {self.percent}%"
                )
        return self


class LiteratureMetric(_Frozen):
    """A registry metric and the published figures for it."""

    label: str
    per: str
    figures: list[LiteratureFigure] = Field(min_length=1)


class _Literature(_Frozen):
    metrics: dict[str, LiteratureMetric]


class Probability(_Frozen):
    """A probability the demo draws with, and where it comes from."""

    probability: float = Field(ge=0, le=1)
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class TechniqueShares(_Frozen):
    sources: list[str] = Field(min_length=1)
    note: str | None = None
    shares: dict[str, float]

    @model_validator(mode="after")
    def _sum_to_one(self) -> TechniqueShares:
        if abs(sum(self.shares.values()) - 1) > 1e-9:
            raise ValueError("technique shares must add up to 1")
        return self


class ClinicalDemoRates(_Frozen):
    stent_loss: Probability
    delivery_failure: Probability
    perforation: Probability
    stroke: Probability
    retrieval_attempted_after_loss: Probability
    retrieval_success: Probability
    emergency_surgery_after_stent_loss: Probability
    emergency_surgery_without_stent_loss: Probability
    retrieval_technique_shares: TechniqueShares


class SyntheticDemoSettings(_Frozen):
    """Arbitrary, non-clinical settings that shape the demo registry."""

    synthetic: Literal[True]
    operators: int = Field(ge=1, le=100)
    first_year: int = Field(ge=1990)
    last_year: int = Field(le=2100)
    radial_share: float = Field(ge=0, le=1)
    vessels: list[str] = Field(min_length=1)


class DemoParameters(_Frozen):
    """Parameters of the synthetic demo registry."""

    clinical: ClinicalDemoRates
    synthetic: SyntheticDemoSettings


def _load(name: str) -> Any:
    return read_yaml(knowledge_path("registry", name), origin=f"registry/{name}")


def _all_sources(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sources" and isinstance(value, list):
                found.extend(str(v) for v in value)
            else:
                found.extend(_all_sources(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_all_sources(item))
    return found


_M = TypeVar("_M", bound=BaseModel)


def _validated(model: type[_M], name: str) -> _M:
    """``registry/<name>`` validated as ``model``, its sources checked."""
    raw = _load(name)
    origin = f"registry/{name}"
    try:
        value = model.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeError(f"{origin}: {exc}") from exc
    check_sources(_all_sources(raw), origin)
    return value


@functools.cache
def load_literature() -> dict[str, LiteratureMetric]:
    """The published figures by metric id (validated, sources checked, cached)."""
    return dict(_validated(_Literature, "literature.yaml").metrics)


@functools.cache
def load_demo_parameters() -> DemoParameters:
    """The demo registry's parameters (validated, sources checked, cached)."""
    return _validated(DemoParameters, "demo.yaml")
