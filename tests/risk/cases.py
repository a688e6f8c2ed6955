"""Baseline cases for every score: every flag off, first level, a neutral number."""

from __future__ import annotations

from typing import Any

from stentguide.risk import get_spec

NEUTRAL_NUMBERS: dict[str, float] = {
    "age_years": 50,
    "occlusion_length_mm": 10,
    "lesion_length_mm": 10,
    "stent_diameter_mm": 3.5,
    "creatinine_clearance_ml_min": 100,
    "haemoglobin_g_dl": 14,
    "wbc_10e9_l": 5,
    "egfr_ml_min_1_73m2": 90,
    "platelets_10e9_l": 250,
    "haematocrit_percent": 42,
    "contrast_volume_ml": 50,
    "serum_creatinine_mg_dl": 1.0,
    "weight_kg": 70,
}


def baseline(name: str, **overrides: Any) -> dict[str, Any]:
    """A valid case of score ``name`` scoring nothing, with ``overrides`` applied."""
    case: dict[str, Any] = {}
    for var in get_spec(name).variables:
        if var.required_when and not all(v == "egfr" for v in var.required_when.values()):
            continue
        if var.type == "bool":
            case[var.name] = False
        elif var.type == "category":
            case[var.name] = (var.levels or [""])[0]
        else:
            case[var.name] = NEUTRAL_NUMBERS[var.name]
    case.update(overrides)
    return case
