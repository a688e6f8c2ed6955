"""Hand-computed examples for every score from its published definition, and every cut-off."""

from __future__ import annotations

import pytest

from stentguide.risk import score
from tests.risk.cases import baseline


def points(name: str, params: dict[str, str] | None = None, **case: object) -> float:
    result = score(name, baseline(name, **case), params)
    assert result.points is not None
    return result.points


def category(name: str, params: dict[str, str] | None = None, **case: object) -> str | None:
    return score(name, baseline(name, **case), params).category


# J-CTO: 1 point per item (Morino 2011); groups 0 / 1 / 2 / >=3.
def test_jcto_worked_example() -> None:
    r = score(
        "j-cto", baseline("j-cto", blunt_stump=True, calcification=True, occlusion_length_mm=25)
    )
    assert (r.points, r.category) == (3, "very difficult")
    assert "10%" in r.outcome_text and "70.0%" in r.outcome_text
    assert "[secondary source]" in r.outcome_text
    assert [c.id for c in r.components if c.met] == [
        "blunt_stump",
        "calcification",
        "long_occlusion",
    ]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (0, "easy"),
        (1, "intermediate"),
        (2, "difficult"),
        (3, "very difficult"),
        (5, "very difficult"),
    ],
)
def test_jcto_groups(flags: int, expected: str) -> None:
    names = ["blunt_stump", "calcification", "bending_over_45_degrees", "retry_lesion"]
    case = {n: i < flags for i, n in enumerate(names)}
    length = 30 if flags == 5 else 10
    assert category("j-cto", **case, occlusion_length_mm=length) == expected


def test_jcto_length_cutoff_is_a_parameter() -> None:
    assert points("j-cto", occlusion_length_mm=20) == 1
    assert points("j-cto", occlusion_length_mm=19.99) == 0
    assert points("j-cto", {"length_comparison": "gt"}, occlusion_length_mm=20) == 0
    assert points("j-cto", {"length_comparison": "gt"}, occlusion_length_mm=20.01) == 1
    assert points("j-cto", {"length_cutoff_mm": "23"}, occlusion_length_mm=22.9) == 0
    assert points("j-cto", {"length_cutoff_mm": "23"}, occlusion_length_mm=23) == 1


# PROGRESS-CTO: 1 point per item (Christopoulos 2016); no published groups.
def test_progress_cto_worked_example() -> None:
    r = score(
        "progress-cto",
        baseline("progress-cto", proximal_cap_ambiguity=True, circumflex_cto=True),
    )
    assert r.points == 2
    assert r.category is None
    assert "92.9%" in r.outcome_text
    all_on = {k: True for k in baseline("progress-cto")}
    assert score("progress-cto", all_on).points == 4


# PROGRESS-CTO complications: age >65 +3, length >=23 mm +2, retrograde +1 (Danek 2016).
def test_progress_complications_boundaries() -> None:
    name = "progress-cto-complications"
    assert points(name, age_years=65) == 0
    assert points(name, age_years=65.01) == 3
    assert points(name, lesion_length_mm=23) == 2
    assert points(name, lesion_length_mm=22.99) == 0
    assert points(name, retrograde_approach=True) == 1


@pytest.mark.parametrize(
    ("case", "total", "group", "figure"),
    [
        ({"lesion_length_mm": 23}, 2, "low", "0.4%"),
        ({"age_years": 66}, 3, "intermediate", "1.8%"),
        ({"lesion_length_mm": 30, "retrograde_approach": True}, 3, "intermediate", "2.5%"),
        ({"age_years": 70, "retrograde_approach": True}, 4, "intermediate", "1.8%"),
        ({"age_years": 70, "lesion_length_mm": 25}, 5, "high", "6.5%"),
        ({"age_years": 70, "lesion_length_mm": 25, "retrograde_approach": True}, 6, "high", "6.8%"),
    ],
)
def test_progress_complications_groups(
    case: dict[str, object], total: int, group: str, figure: str
) -> None:
    r = score("progress-cto-complications", baseline("progress-cto-complications", **case))
    assert (r.points, r.category) == (total, group)
    assert figure in r.outcome_text


# PROGRESS-CTO MACE: age >=65 +1, female +2, calcification +1, blunt stump +1, ADR +1,
# retrograde +2.
def test_progress_mace() -> None:
    name = "progress-cto-mace"
    assert points(name, age_years=65) == 1
    assert points(name, age_years=64.99) == 0
    assert points(name, sex="female") == 2
    everything = baseline(
        name,
        age_years=70,
        sex="female",
        moderate_severe_calcification=True,
        blunt_stump=True,
        antegrade_dissection_reentry=True,
        retrograde_strategy=True,
    )
    r = score(name, everything)
    assert (r.points, r.category) == (8, "score 6 or more")
    r = score(name, baseline(name, age_years=70, blunt_stump=True))
    assert (r.points, r.category) == (2, "score 2")
    assert "1.5%" in r.outcome_text and "1.1-2.0%" in r.outcome_text


# DAPT score (Yeh 2016): age >=75 -2, 65-<75 -1; >=2 favours prolonged DAPT.
def test_dapt_age_and_stent_boundaries() -> None:
    assert points("dapt", age_years=75) == -2
    assert points("dapt", age_years=74.9) == -1
    assert points("dapt", age_years=65) == -1
    assert points("dapt", age_years=64.9) == 0
    assert points("dapt", stent_diameter_mm=3.0) == 0
    assert points("dapt", stent_diameter_mm=2.99) == 1


def test_dapt_worked_examples() -> None:
    r = score(
        "dapt",
        baseline("dapt", age_years=70, diabetes=True, prior_pci_or_mi=True, stent_diameter_mm=2.75),
    )
    assert (r.points, r.category) == (2, "prolonged DAPT favoured")
    assert "NNT 34" in r.outcome_text
    r = score("dapt", baseline("dapt", age_years=80, cigarette_smoking=True, diabetes=True))
    assert (r.points, r.category) == (0, "prolonged DAPT not favoured")
    top = {k: True for k, v in baseline("dapt").items() if isinstance(v, bool)}
    assert points("dapt", **top, age_years=50, stent_diameter_mm=2.5) == 10


# PRECISE-DAPT: nomogram end points with the linear reconstruction; >=25 is high risk.
def test_precise_dapt_worked_example() -> None:
    case = {
        "age_years": 70,
        "creatinine_clearance_ml_min": 60,
        "haemoglobin_g_dl": 11,
        "wbc_10e9_l": 8,
        "prior_spontaneous_bleeding": False,
    }
    r = score("precise-dapt", case)
    assert r.points == pytest.approx(30.0)
    assert r.category == "high bleeding risk"
    assert not r.near_cutoff
    assert any("RECONSTRUCTION" in n for n in r.notes)
    assert {c.id: c.points for c in r.components} == pytest.approx(
        {
            "age": 9.5,
            "creatinine_clearance": 10,
            "haemoglobin": 7.5,
            "white_cells": 3,
            "prior_bleeding": 0,
        }
    )


def test_precise_dapt_end_points_and_truncation() -> None:
    assert points("precise-dapt", age_years=50) == pytest.approx(0)
    worst = {
        "age_years": 95,
        "creatinine_clearance_ml_min": 0,
        "haemoglobin_g_dl": 8,
        "wbc_10e9_l": 30,
        "prior_spontaneous_bleeding": True,
    }
    assert points("precise-dapt", **worst) == pytest.approx(100)


def test_precise_dapt_cutoff_25() -> None:
    at = score("precise-dapt", baseline("precise-dapt", creatinine_clearance_ml_min=0))
    assert (at.points, at.category, at.near_cutoff) == (25, "high bleeding risk", True)
    below = score("precise-dapt", baseline("precise-dapt", creatinine_clearance_ml_min=4))
    assert (below.points, below.category, below.near_cutoff) == (24, "not high bleeding risk", True)
    far = score(
        "precise-dapt", baseline("precise-dapt", prior_spontaneous_bleeding=True, age_years=90)
    )
    assert (far.points, far.near_cutoff) == (45, False)


# ARC-HBR: high bleeding risk at >=1 major or >=2 minor criteria (Urban 2019).
def test_arc_hbr_rule() -> None:
    assert category("arc-hbr") == "not high bleeding risk"
    assert category("arc-hbr", long_term_oral_anticoagulation=True) == "high bleeding risk"
    assert category("arc-hbr", age_years=75) == "not high bleeding risk"
    two_minor = score("arc-hbr", baseline("arc-hbr", age_years=75, egfr_ml_min_1_73m2=59))
    assert two_minor.category == "high bleeding risk"
    assert two_minor.group_counts == {"major": 0, "minor": 2}
    assert "6.4%" in two_minor.outcome_text


@pytest.mark.parametrize(
    ("case", "major", "minor"),
    [
        ({"egfr_ml_min_1_73m2": 60}, 0, 0),
        ({"egfr_ml_min_1_73m2": 59.9}, 0, 1),
        ({"egfr_ml_min_1_73m2": 30}, 0, 1),
        ({"egfr_ml_min_1_73m2": 29.9}, 1, 0),
        ({"haemoglobin_g_dl": 13, "sex": "male"}, 0, 0),
        ({"haemoglobin_g_dl": 12.9, "sex": "male"}, 0, 1),
        ({"haemoglobin_g_dl": 12, "sex": "female"}, 0, 0),
        ({"haemoglobin_g_dl": 11.9, "sex": "female"}, 0, 1),
        ({"haemoglobin_g_dl": 11, "sex": "female"}, 0, 1),
        ({"haemoglobin_g_dl": 10.9, "sex": "male"}, 1, 0),
        ({"platelets_10e9_l": 100}, 0, 0),
        ({"platelets_10e9_l": 99}, 1, 0),
        ({"age_years": 74.9}, 0, 0),
        ({"spontaneous_bleeding": "within_6_months_or_recurrent"}, 1, 0),
        ({"spontaneous_bleeding": "first_6_to_12_months"}, 0, 1),
        ({"ischaemic_stroke": "moderate_severe_within_6_months"}, 1, 0),
        ({"ischaemic_stroke": "other"}, 0, 1),
        ({"long_term_nsaid_or_steroid": True}, 0, 1),
        ({"brain_avm": True, "active_malignancy": True}, 2, 0),
    ],
)
def test_arc_hbr_cutoffs(case: dict[str, object], major: int, minor: int) -> None:
    r = score("arc-hbr", baseline("arc-hbr", **case))
    assert r.group_counts == {"major": major, "minor": minor}


# Mehran (2004): 5/5/5/4/3/3 points, 1 per 100 mL contrast, renal item A or B.
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"age_years": 75}, 0),
        ({"age_years": 75.5}, 4),
        ({"haematocrit_percent": 38.9, "sex": "male"}, 3),
        ({"haematocrit_percent": 39, "sex": "male"}, 0),
        ({"haematocrit_percent": 35.9, "sex": "female"}, 3),
        ({"haematocrit_percent": 36, "sex": "female"}, 0),
        ({"contrast_volume_ml": 99}, 0),
        ({"contrast_volume_ml": 100}, 1),
        ({"contrast_volume_ml": 299}, 2),
        ({"egfr_ml_min_1_73m2": 60}, 0),
        ({"egfr_ml_min_1_73m2": 59.9}, 2),
        ({"egfr_ml_min_1_73m2": 40}, 2),
        ({"egfr_ml_min_1_73m2": 39.9}, 4),
        ({"egfr_ml_min_1_73m2": 20}, 4),
        ({"egfr_ml_min_1_73m2": 19.9}, 6),
    ],
)
def test_mehran_cutoffs(case: dict[str, object], expected: int) -> None:
    assert points("mehran", **case) == expected


def test_mehran_creatinine_option() -> None:
    case = baseline("mehran")
    del case["egfr_ml_min_1_73m2"]
    params = {"renal_item": "creatinine"}
    assert score("mehran", {**case, "serum_creatinine_mg_dl": 1.5}, params).points == 0
    assert score("mehran", {**case, "serum_creatinine_mg_dl": 1.51}, params).points == 4


@pytest.mark.parametrize(
    ("case", "total", "group", "figure"),
    [
        ({"hypotension": True}, 5, "low", "7.5%"),
        ({"chf": True, "contrast_volume_ml": 100}, 6, "moderate", "14.0%"),
        ({"iabp": True, "chf": True}, 10, "moderate", "0.12%"),
        ({"iabp": True, "chf": True, "contrast_volume_ml": 100}, 11, "high", "26.1%"),
        ({"iabp": True, "chf": True, "contrast_volume_ml": 500}, 15, "high", "1.09%"),
        (
            {"iabp": True, "chf": True, "hypotension": True, "contrast_volume_ml": 100},
            16,
            "very high",
            "57.3%",
        ),
    ],
)
def test_mehran_bins(case: dict[str, object], total: int, group: str, figure: str) -> None:
    r = score("mehran", baseline("mehran", **case))
    assert (r.points, r.category) == (total, group)
    assert figure in r.outcome_text


def test_mehran_everything() -> None:
    case = baseline(
        "mehran",
        hypotension=True,
        iabp=True,
        chf=True,
        age_years=80,
        sex="female",
        haematocrit_percent=30,
        diabetes=True,
        contrast_volume_ml=350,
        egfr_ml_min_1_73m2=15,
    )
    assert score("mehran", case).points == 5 + 5 + 5 + 4 + 3 + 3 + 3 + 6


# Cockcroft-Gault: (140 - age) x weight / (72 x SCr), x 0.85 for women.
def test_cockcroft_gault() -> None:
    male = score(
        "cockcroft-gault",
        {"age_years": 65, "weight_kg": 70, "serum_creatinine_mg_dl": 1.4, "sex": "male"},
    )
    assert male.value == pytest.approx(75 * 70 / (72 * 1.4), abs=0.05)
    assert male.points is None and male.category is None and male.unit == "mL/min"
    female = score(
        "cockcroft-gault",
        {"age_years": 45, "weight_kg": 60, "serum_creatinine_mg_dl": 0.9, "sex": "female"},
    )
    assert female.value == pytest.approx(95 * 60 / (72 * 0.9) * 0.85, abs=0.05)
