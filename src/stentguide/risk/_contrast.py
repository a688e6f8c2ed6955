"""Contrast limits for a stop criterion: the Cigarroa limit and the V/CrCl ratio together.

A procedure's stop criteria ask one question of the contrast given so far: is it
beyond the renal-adjusted limits? :func:`contrast_check` answers it from the
patient's weight, creatinine, age and sex and the volume given, through the two
equation scores (each with its own sources), so a pathway or a dashboard needs no
arithmetic of its own.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from stentguide.errors import InputError
from stentguide.risk._api import score
from stentguide.risk._result import ScoreResult

__all__ = ["ContrastCheck", "contrast_check"]


class ContrastCheck(BaseModel):
    """The contrast given against both limits, each with the score result behind it."""

    model_config = ConfigDict(frozen=True)

    contrast_volume_ml: float
    limit_ml: float = Field(description="Cigarroa maximum acceptable contrast dose.")
    within_limit: bool = Field(description="The volume given is at or below the limit.")
    ratio: float = Field(description="Contrast volume / creatinine clearance.")
    ratio_at_or_above_4: bool
    limit: ScoreResult
    ratio_result: ScoreResult

    @property
    def beyond_any_limit(self) -> bool:
        """True when either limit is passed: the stop criterion fires."""
        return not self.within_limit or self.ratio_at_or_above_4


def contrast_check(
    *,
    contrast_volume_ml: float,
    weight_kg: float,
    serum_creatinine_mg_dl: float,
    age_years: float,
    sex: str,
) -> ContrastCheck:
    """Check a contrast volume against the Cigarroa limit and the V/CrCl ratio of 4.

    Creatinine clearance for the ratio is Cockcroft-Gault from the same inputs. Every
    input is checked by the scores; a bad one raises one ``InputError`` naming it.
    """
    problems: dict[str, str] = {}
    results: list[ScoreResult] = []
    for name, inputs in (
        (
            "cigarroa-contrast-limit",
            {"weight_kg": weight_kg, "serum_creatinine_mg_dl": serum_creatinine_mg_dl},
        ),
        (
            "contrast-clearance-ratio",
            {
                "contrast_volume_ml": contrast_volume_ml,
                "age_years": age_years,
                "weight_kg": weight_kg,
                "serum_creatinine_mg_dl": serum_creatinine_mg_dl,
                "sex": sex,
            },
        ),
    ):
        try:
            results.append(score(name, inputs))
        except InputError as exc:
            problems.update(exc.problems)
    if problems:
        raise InputError("invalid input for the contrast check", problems)
    limit, ratio = results
    return ContrastCheck(
        contrast_volume_ml=contrast_volume_ml,
        limit_ml=limit.value,
        within_limit=contrast_volume_ml <= limit.value,
        ratio=ratio.value,
        ratio_at_or_above_4=ratio.category == "4 or more",
        limit=limit,
        ratio_result=ratio,
    )
