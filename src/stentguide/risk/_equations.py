"""The one registry of score equations: each named equation is declared here once.

A spec of ``kind: equation`` names one entry of :data:`EQUATIONS`; the entry says
which inputs and constants the spec must declare (checked when the spec loads)
and computes the value over NumPy columns, one row or a million. Constants come
from the spec (and so from its sources), never from this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["EQUATIONS", "Equation"]

FloatArray = npt.NDArray[np.float64]
Columns = Mapping[str, npt.NDArray[Any]]
Constants = Mapping[str, float]
Params = Mapping[str, float | str]


@dataclass(frozen=True)
class Equation:
    """A named equation: the inputs and constants it needs, and the vectorised function.

    ``compute(constants, columns, female, params)``: ``female`` is a boolean column
    (all false when the equation takes no sex).
    """

    inputs: tuple[str, ...]
    constants: tuple[str, ...]
    compute: Callable[[Constants, Columns, npt.NDArray[np.bool_], Params], FloatArray]
    parameters: tuple[str, ...] = ()


def _cockcroft_gault(
    k: Constants, x: Columns, female: npt.NDArray[np.bool_], _: Params
) -> FloatArray:
    """Cockcroft DW, Gault MH. Nephron 1976;16:31-41."""
    clearance: FloatArray = (
        (k["age_offset"] - x["age_years"])
        * x["weight_kg"]
        / (k["denominator"] * x["serum_creatinine_mg_dl"])
    )
    return np.where(female, clearance * k["female_factor"], clearance)


def _ckd_epi_2021(k: Constants, x: Columns, female: npt.NDArray[np.bool_], _: Params) -> FloatArray:
    """Inker LA et al. N Engl J Med 2021;385:1737-1749 (creatinine, without race)."""
    kappa = np.where(female, k["kappa_female"], k["kappa_male"])
    alpha = np.where(female, k["alpha_female"], k["alpha_male"])
    ratio = x["serum_creatinine_mg_dl"] / kappa
    egfr: FloatArray = (
        k["scale"]
        * np.minimum(ratio, 1.0) ** alpha
        * np.maximum(ratio, 1.0) ** k["upper_exponent"]
        * k["age_base"] ** x["age_years"]
    )
    return np.where(female, egfr * k["female_factor"], egfr)


def _cigarroa_contrast_limit(
    k: Constants, x: Columns, _female: npt.NDArray[np.bool_], params: Params
) -> FloatArray:
    """Cigarroa RG et al. Am J Med 1989;86:649-652: 5 mL/kg (maximum 300 mL) / creatinine."""
    dose = k["ml_per_kg"] * x["weight_kg"]
    if params.get("cap_applies_to") == "numerator":
        limit: FloatArray = np.minimum(dose, k["cap_ml"]) / x["serum_creatinine_mg_dl"]
        return limit
    capped: FloatArray = np.minimum(dose / x["serum_creatinine_mg_dl"], k["cap_ml"])
    return capped


def _contrast_to_clearance(
    _k: Constants, x: Columns, _female: npt.NDArray[np.bool_], _p: Params
) -> FloatArray:
    """Contrast volume (mL) divided by creatinine clearance (mL/min)."""
    ratio: FloatArray = x["contrast_volume_ml"] / x["creatinine_clearance_ml_min"]
    return ratio


EQUATIONS: dict[str, Equation] = {
    "cockcroft_gault": Equation(
        inputs=("age_years", "weight_kg", "serum_creatinine_mg_dl", "sex"),
        constants=("age_offset", "denominator", "female_factor"),
        compute=_cockcroft_gault,
    ),
    "ckd_epi_2021": Equation(
        inputs=("age_years", "serum_creatinine_mg_dl", "sex"),
        constants=(
            "scale",
            "kappa_female",
            "kappa_male",
            "alpha_female",
            "alpha_male",
            "upper_exponent",
            "age_base",
            "female_factor",
        ),
        compute=_ckd_epi_2021,
    ),
    "cigarroa_contrast_limit": Equation(
        inputs=("weight_kg", "serum_creatinine_mg_dl"),
        constants=("ml_per_kg", "cap_ml"),
        compute=_cigarroa_contrast_limit,
        parameters=("cap_applies_to",),
    ),
    "contrast_to_clearance": Equation(
        inputs=("contrast_volume_ml", "creatinine_clearance_ml_min"),
        constants=(),
        compute=_contrast_to_clearance,
    ),
}
