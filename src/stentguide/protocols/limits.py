"""Stop criteria of a pathway checked against the figures of a case, as pure functions.

A pathway declares its stop criteria (``stop_criteria:`` in its YAML, each with a threshold,
its meaning, what reaching it means - ``stop``, ``weigh`` or ``record`` - a confidence and its
sources). :func:`check_limits` reads the figures a face has (contrast given, weight, serum
creatinine, creatinine clearance, cumulative reference air kerma) and says which criteria are
reached. The contrast limit is Cigarroa's maximum acceptable contrast dose, 5 mL per kg of
body weight divided by serum creatinine in mg/dL, never more than 300 mL (CIGARROA89).

Missing figures are not guessed: a criterion whose figures are not given is reported as
``not-checked`` with the figures it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from stentguide.errors import InputError
from stentguide.protocols.model import Protocol

__all__ = ["CaseFigures", "LimitCheck", "check_limits", "maximum_contrast_ml"]

MACD_ML_PER_KG = 5.0
MACD_CEILING_ML = 300.0


def maximum_contrast_ml(weight_kg: float, creatinine_mg_dl: float) -> float:
    """Cigarroa's maximum acceptable contrast dose in mL (CIGARROA89).

    5 mL per kg of body weight divided by serum creatinine (mg/dL), at most 300 mL.
    """
    problems: dict[str, str] = {}
    if not 20 <= weight_kg <= 300:
        problems["weight_kg"] = f"must be 20 to 300 kg, not {weight_kg:g}"
    if not 0.2 <= creatinine_mg_dl <= 20:
        problems["creatinine_mg_dl"] = f"must be 0.2 to 20 mg/dL, not {creatinine_mg_dl:g}"
    if problems:
        raise InputError("cannot compute the maximum acceptable contrast dose", problems)
    return min(MACD_ML_PER_KG * weight_kg / creatinine_mg_dl, MACD_CEILING_ML)


@dataclass(frozen=True)
class CaseFigures:
    """What is known of the case now; ``None`` is unknown, never zero."""

    contrast_ml: float | None = None
    weight_kg: float | None = None
    creatinine_mg_dl: float | None = None
    creatinine_clearance_ml_min: float | None = None
    air_kerma_gy: float | None = None


@dataclass(frozen=True)
class LimitCheck:
    """One stop criterion against the case's figures."""

    criterion: str
    status: Literal["reached", "not-reached", "not-checked"]
    action: Literal["stop", "weigh", "record"]
    message: str
    confidence: Literal["confirmed", "unconfirmed"]
    sources: list[str] = field(default_factory=list)


def _status(value: float | None, limit: float | None) -> Literal["reached", "not-reached"]:
    assert value is not None and limit is not None
    return "reached" if value >= limit else "not-reached"


def _evaluate(
    key: str, measure: str, threshold: float | None, figures: CaseFigures
) -> tuple[Literal["reached", "not-reached", "not-checked"], str]:
    if key == "contrast-maximum-dose":
        if None in (figures.contrast_ml, figures.weight_kg, figures.creatinine_mg_dl):
            return "not-checked", "give contrast_ml, weight_kg and creatinine_mg_dl"
        assert figures.weight_kg is not None and figures.creatinine_mg_dl is not None
        limit = maximum_contrast_ml(figures.weight_kg, figures.creatinine_mg_dl)
        return (
            _status(figures.contrast_ml, limit),
            f"{figures.contrast_ml:g} mL given against a maximum of {limit:.0f} mL",
        )
    if key == "contrast-to-clearance":
        if figures.contrast_ml is None or not figures.creatinine_clearance_ml_min:
            return "not-checked", "give contrast_ml and creatinine_clearance_ml_min"
        ratio = figures.contrast_ml / figures.creatinine_clearance_ml_min
        return _status(ratio, threshold), f"contrast / clearance {ratio:.1f} (limit {threshold:g})"
    if measure == "air-kerma" and threshold is not None:
        if figures.air_kerma_gy is None:
            return "not-checked", "give air_kerma_gy"
        return (
            _status(figures.air_kerma_gy, threshold),
            f"{figures.air_kerma_gy:g} Gy against {threshold:g} Gy",
        )
    return "not-checked", "no sourced threshold to check against"


def check_limits(protocol: Protocol, figures: CaseFigures) -> list[LimitCheck]:
    """Each of the protocol's stop criteria against ``figures``, in declaration order."""
    checks: list[LimitCheck] = []
    for key, criterion in protocol.stop_criteria.items():
        status, detail = _evaluate(key, criterion.measure, criterion.value, figures)
        checks.append(
            LimitCheck(
                criterion=key,
                status=status,
                action=criterion.action,
                message=f"{criterion.threshold}: {detail}. {criterion.meaning}",
                confidence=criterion.confidence,
                sources=list(criterion.sources),
            )
        )
    return checks
