"""The renal and contrast equations, the perforation score, units and derived inputs.

Each new score reproduces a worked example computed from its published definition and
is checked on both sides of each cut-off it has.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.errors import InputError
from stentguide.risk import score, score_frame
from tests.risk.cases import baseline


def ckd_epi(scr: float, age: float, female: bool) -> float:
    """The NKF statement of the 2021 equation, written out independently of the spec."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    value = (
        142
        * min(scr / kappa, 1) ** alpha
        * max(scr / kappa, 1) ** -1.200
        * 0.9938**age
        * (1.012 if female else 1)
    )
    return value


def test_ckd_epi_worked_example() -> None:
    # Woman, 55 years, creatinine 0.9 mg/dL: about 76 on the secondary page (rounded steps).
    r = score(
        "egfr-ckd-epi-2021", {"age_years": 55, "serum_creatinine_mg_dl": 0.9, "sex": "female"}
    )
    assert r.value == pytest.approx(75.5, abs=0.05)
    assert r.unit == "mL/min/1.73m2"
    assert round(r.value) in (75, 76)


@pytest.mark.parametrize("female", [True, False])
def test_ckd_epi_both_sides_of_the_hinge(female: bool) -> None:
    kappa = 0.7 if female else 0.9
    sex = "female" if female else "male"
    for scr in (kappa - 0.01, kappa, kappa + 0.01):
        r = score("egfr-ckd-epi-2021", {"age_years": 60, "serum_creatinine_mg_dl": scr, "sex": sex})
        assert r.value == pytest.approx(ckd_epi(scr, 60, female), abs=0.05)
    below = ckd_epi(kappa - 0.01, 60, female) / ckd_epi(kappa, 60, female)
    above = ckd_epi(kappa, 60, female) / ckd_epi(kappa + 0.01, 60, female)
    assert above > below > 1  # the steeper -1.200 exponent applies above the hinge


@given(
    scr=st.floats(0.1, 30),
    age=st.floats(18, 120),
    female=st.booleans(),
)
def test_ckd_epi_matches_the_published_expression(scr: float, age: float, female: bool) -> None:
    sex = "female" if female else "male"
    r = score("egfr-ckd-epi-2021", {"age_years": age, "serum_creatinine_mg_dl": scr, "sex": sex})
    assert r.value == pytest.approx(ckd_epi(scr, age, female), abs=0.051)


def test_cigarroa_worked_example_and_cap() -> None:
    # 70 kg, creatinine 2.0 mg/dL: 5 x 70 = 350 mL, capped at 300, / 2.0 = 150 mL.
    limit = score("cigarroa-contrast-limit", {"weight_kg": 70, "serum_creatinine_mg_dl": 2.0})
    assert (limit.value, limit.unit) == (150, "mL")
    assert "2%" in limit.outcome_text and "21%" in limit.outcome_text
    assert limit.next_steps and limit.next_steps[0].sources == ["cigarroa1989_contrast_limit"]
    # Below the cap the weight counts in full: 50 kg -> 250 mL / 2.0 = 125 mL.
    assert (
        score("cigarroa-contrast-limit", {"weight_kg": 50, "serum_creatinine_mg_dl": 2.0}).value
        == 125
    )
    # Either side of the 60 kg cap point: 59 kg -> 295 mL; 61 kg -> 300 mL.
    assert (
        score("cigarroa-contrast-limit", {"weight_kg": 59, "serum_creatinine_mg_dl": 1}).value
        == 295
    )
    assert (
        score("cigarroa-contrast-limit", {"weight_kg": 61, "serum_creatinine_mg_dl": 1}).value
        == 300
    )


def test_cigarroa_cap_reading_is_a_parameter() -> None:
    case = {"weight_kg": 100, "serum_creatinine_mg_dl": 2.0}
    assert score("cigarroa-contrast-limit", case).value == 150
    assert score("cigarroa-contrast-limit", case, {"cap_applies_to": "result"}).value == 250
    low = {"weight_kg": 100, "serum_creatinine_mg_dl": 1.0}
    assert score("cigarroa-contrast-limit", low, {"cap_applies_to": "result"}).value == 300


def test_contrast_clearance_ratio_worked_example_and_cut_off() -> None:
    r = score(
        "contrast-clearance-ratio", {"contrast_volume_ml": 300, "creatinine_clearance_ml_min": 60}
    )
    assert (r.value, r.category, r.tone) == (5.0, "4 or more", "unfavourable")
    assert [x.percent for x in r.rates] == [13]
    at = score(
        "contrast-clearance-ratio", {"contrast_volume_ml": 240, "creatinine_clearance_ml_min": 60}
    )
    assert (at.value, at.category) == (4.0, "4 or more")
    below = score(
        "contrast-clearance-ratio", {"contrast_volume_ml": 239, "creatinine_clearance_ml_min": 60}
    )
    assert (below.value, below.category, below.tone) == (3.98, "below 4", "favourable")


def test_perforation_score_items_and_cut_off() -> None:
    name = "progress-cto-perforation"
    assert score(name, baseline(name, age_years=64.9)).points == 0
    assert score(name, baseline(name, age_years=65)).points == 1
    assert score(name, baseline(name, retrograde_strategy=True)).points == 2
    everything = baseline(
        name,
        age_years=70,
        moderate_severe_calcification=True,
        blunt_stump=True,
        antegrade_dissection_reentry=True,
        retrograde_strategy=True,
    )
    r = score(name, everything)
    assert r.points == 6 and r.category is None
    assert "3.8%" in r.outcome_text


def test_creatinine_clearance_is_computed_for_scores_that_take_it() -> None:
    direct = score(
        "contrast-clearance-ratio", {"contrast_volume_ml": 200, "creatinine_clearance_ml_min": 50}
    )
    # Cockcroft-Gault: (140 - 80) x 60 / (72 x 1.0) = 50 mL/min.
    computed = score(
        "contrast-clearance-ratio",
        {
            "contrast_volume_ml": 200,
            "age_years": 80,
            "weight_kg": 60,
            "serum_creatinine_mg_dl": 1.0,
            "sex": "male",
        },
    )
    assert computed.value == direct.value == 4.0
    assert computed.derived == {"creatinine_clearance_ml_min": "cockcroft-gault"}
    assert computed.inputs["creatinine_clearance_ml_min"] == 50


def test_egfr_is_computed_for_mehran_and_arc_hbr() -> None:
    case = baseline("mehran")
    del case["egfr_ml_min_1_73m2"]
    case.update(serum_creatinine_mg_dl=2.0)  # 50-year-old man -> eGFR about 39.6
    r = score("mehran", case)
    assert r.derived == {"egfr_ml_min_1_73m2": "egfr-ckd-epi-2021"}
    assert [c.id for c in r.components if c.met] == ["egfr_20_to_39"]


def test_a_missing_derivation_input_is_named() -> None:
    with pytest.raises(InputError) as err:
        score("contrast-clearance-ratio", {"contrast_volume_ml": 200, "age_years": 80})
    assert "weight_kg" in err.value.problems
    assert "creatinine_clearance_ml_min" in err.value.problems


def test_units_convert_at_the_edge() -> None:
    mg = score("egfr-ckd-epi-2021", {"age_years": 60, "serum_creatinine_mg_dl": 1.5, "sex": "male"})
    umol = score(
        "egfr-ckd-epi-2021", {"age_years": 60, "serum_creatinine_umol_l": 132.6, "sex": "male"}
    )
    assert umol.value == mg.value
    g_dl = score("precise-dapt", baseline("precise-dapt", haemoglobin_g_dl=11))
    case = baseline("precise-dapt")
    del case["haemoglobin_g_dl"]
    g_l = score("precise-dapt", {**case, "haemoglobin_g_l": 110})
    mmol = score("precise-dapt", {**case, "haemoglobin_mmol_l": 11 * 0.6206})
    assert g_dl.value == g_l.value == mmol.value


def test_both_units_for_one_input_is_an_error() -> None:
    with pytest.raises(InputError) as err:
        score(
            "egfr-ckd-epi-2021",
            {
                "age_years": 60,
                "serum_creatinine_mg_dl": 1.5,
                "serum_creatinine_umol_l": 132.6,
                "sex": "male",
            },
        )
    assert "serum_creatinine_umol_l" in err.value.problems


def test_batch_has_typed_rate_columns_and_unit_columns() -> None:
    frame = pl.DataFrame(
        {
            "contrast_volume_ml": [300.0, 100.0],
            "creatinine_clearance_ml_min": [60.0, 60.0],
        }
    )
    out = score_frame("contrast-clearance-ratio", frame)
    assert out.schema["contrast_clearance_ratio_creatinine_rise_percent"] == pl.Float64
    assert out["contrast_clearance_ratio_creatinine_rise_percent"].to_list() == [13.0, 3.0]
    renal = pl.DataFrame({"age_years": [60.0], "serum_creatinine_umol_l": [132.6], "sex": ["male"]})
    egfr = score_frame("egfr-ckd-epi-2021", renal)
    expected = ckd_epi(1.5, 60, False)
    assert math.isclose(egfr["egfr_ckd_epi_2021_ml_min_1_73m2"][0], expected, abs_tol=0.05)


def test_contrast_check_for_a_stop_criterion() -> None:
    from stentguide.risk import contrast_check

    # 70 kg, creatinine 2.0 mg/dL, 70-year-old man: limit 150 mL; CrCl (140-70)x70/(72x2) = 34.0.
    inside = contrast_check(
        contrast_volume_ml=120, weight_kg=70, serum_creatinine_mg_dl=2.0, age_years=70, sex="male"
    )
    assert (inside.limit_ml, inside.within_limit) == (150, True)
    assert inside.ratio == pytest.approx(120 / 34.03, abs=0.01)
    assert inside.ratio_at_or_above_4 is False and inside.beyond_any_limit is False
    beyond = contrast_check(
        contrast_volume_ml=151, weight_kg=70, serum_creatinine_mg_dl=2.0, age_years=70, sex="male"
    )
    assert beyond.within_limit is False and beyond.ratio_at_or_above_4 is True
    assert beyond.beyond_any_limit
    with pytest.raises(InputError) as err:
        contrast_check(
            contrast_volume_ml=100, weight_kg=5, serum_creatinine_mg_dl=2.0, age_years=70, sex="x"
        )
    assert {"weight_kg", "sex"} <= set(err.value.problems)
