"""Plans shared by the leaflet tests: every combination of the plan's options."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

BASE_PLAN: dict[str, Any] = {
    "access": "radial",
    "stent_type": "drug_eluting",
    "chronic_total_occlusion": False,
    "second_antiplatelet": "clopidogrel",
    "antiplatelet_months": 6,
    "procedure_date": "2025-01-31",
    "language": "en",
    "patient_first_name": "Anne-Laure",
    "centre_phone": "+33 1 23 45 67 89",
}

OPTIONS = list(
    itertools.product(
        ["en", "fr"],
        ["radial", "femoral"],
        ["drug_eluting", "bare_metal"],
        [True, False],
        ["clopidogrel", "prasugrel", "ticagrelor"],
    )
)


def variant(
    lang: str, access: str, stent: str, cto: bool, medicine: str, **extra: Any
) -> dict[str, Any]:
    return {
        **BASE_PLAN,
        "language": lang,
        "access": access,
        "stent_type": stent,
        "chronic_total_occlusion": cto,
        "second_antiplatelet": medicine,
        **extra,
    }


ALL_VARIANTS = [
    pytest.param(variant(*combo), id="-".join(str(part) for part in combo)) for combo in OPTIONS
]
