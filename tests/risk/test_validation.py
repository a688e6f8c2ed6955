"""Bad input: one error naming every offending field; batches report rows; nothing defaulted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from stentguide import risk
from stentguide.errors import InputError, UnknownNameError
from tests.risk.cases import baseline


def test_every_missing_field_is_named() -> None:
    with pytest.raises(InputError) as info:
        risk.score("dapt", {})
    assert set(info.value.problems) == {v.name for v in risk.get_spec("dapt").variables}
    assert set(info.value.problems.values()) == {"missing"}


def test_wrong_types_out_of_range_and_unknown_fields_together() -> None:
    case = baseline(
        "j-cto", blunt_stump="yes", occlusion_length_mm=400, retry_lesion=None, lenght=3
    )
    with pytest.raises(InputError) as info:
        risk.score("j-cto", case)
    problems = info.value.problems
    assert problems["blunt_stump"].startswith("expected true or false")
    assert "outside the allowed range 0 to 300 mm" in problems["occlusion_length_mm"]
    assert "400" in problems["occlusion_length_mm"]
    assert problems["retry_lesion"] == "missing"
    assert problems["lenght"] == "not an input of j-cto"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "20", True])
def test_numbers_must_be_finite_numbers(bad: object) -> None:
    with pytest.raises(InputError) as info:
        risk.score("j-cto", baseline("j-cto", occlusion_length_mm=bad))
    assert list(info.value.problems) == ["occlusion_length_mm"]


def test_category_levels_are_checked() -> None:
    with pytest.raises(InputError) as info:
        risk.score("cockcroft-gault", baseline("cockcroft-gault", sex="unknown"))
    assert "expected one of male, female" in info.value.problems["sex"]


def test_input_unused_under_parameters_is_refused() -> None:
    case = baseline("mehran", serum_creatinine_mg_dl=1.2)
    with pytest.raises(InputError) as info:
        risk.score("mehran", case)
    assert "not used with these parameters" in info.value.problems["serum_creatinine_mg_dl"]
    del case["egfr_ml_min_1_73m2"]
    # Without an eGFR, the creatinine (with age and sex) computes one by CKD-EPI 2021, openly.
    assert risk.score("mehran", case).derived == {"egfr_ml_min_1_73m2": "egfr-ckd-epi-2021"}


def test_parameters_are_checked() -> None:
    with pytest.raises(InputError) as info:
        risk.score(
            "j-cto",
            baseline("j-cto"),
            {"length_comparison": "eq", "length_cutoff_mm": "far", "other": 1},
        )
    assert set(info.value.problems) == {"length_comparison", "length_cutoff_mm", "other"}


def test_unknown_and_withheld_scores() -> None:
    with pytest.raises(UnknownNameError) as info:
        risk.score("jcto", {})
    assert info.value.suggestions == ["j-cto"]
    for name in ("recharge", "cl-score"):
        with pytest.raises(InputError, match="not available yet"):
            risk.score(name, {})
    withheld = {i.name: i for i in risk.list_scores() if not i.available}
    assert set(withheld) == {"recharge", "cl-score"}
    assert all(i.reason for i in withheld.values())


def _jcto_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": ["a", "b", "c", "d"],
            "blunt_stump": [True, False, None, True],
            "calcification": [1, 0, 1, 2],
            "bending_over_45_degrees": ["yes", "no", "TRUE", "maybe"],
            "occlusion_length_mm": ["20", " 19.5 ", "abc", "500"],
            "retry_lesion": [False, False, False, False],
        }
    )


def test_batch_reports_bad_rows_by_number_and_field() -> None:
    with pytest.raises(InputError) as info:
        risk.score_frame("j-cto", _jcto_frame())
    assert "2 invalid row(s)" in str(info.value)
    assert set(info.value.problems) == {
        "row 3 blunt_stump",
        "row 3 occlusion_length_mm",
        "row 4 calcification",
        "row 4 bending_over_45_degrees",
        "row 4 occlusion_length_mm",
    }


def test_batch_skip_and_rejects() -> None:
    scored, rejects = risk.score_frame_with_rejects("j-cto", _jcto_frame())
    assert scored.get_column("row").to_list() == [1, 2]
    assert scored.get_column("j_cto_points").to_list() == [4, 0]
    assert scored.get_column("j_cto_category").cast(pl.String).to_list() == [
        "very difficult",
        "easy",
    ]
    assert rejects.columns == ["row", "field", "problem", "value"]
    assert rejects.filter(pl.col("row") == 3).get_column("value").to_list() == [None, "abc"]
    assert rejects.equals(risk.validate_frame("j-cto", _jcto_frame()))


def test_batch_missing_column_is_named() -> None:
    with pytest.raises(InputError) as info:
        risk.score_frame("j-cto", _jcto_frame().drop("retry_lesion"))
    assert info.value.problems == {"retry_lesion": "missing column"}


def test_pandas_frame_is_accepted() -> None:
    frame = pd.DataFrame([baseline("dapt", age_years=a) for a in (60, 70, 80)])
    scored = risk.score_frame("dapt", frame)
    assert isinstance(scored, pl.DataFrame)
    assert scored.get_column("dapt_points").to_list() == [0, -1, -2]


def test_file_round_trip_with_rejects(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    _jcto_frame().write_csv(source)
    out, rejects = tmp_path / "out.parquet", tmp_path / "rejects.csv"
    report = risk.score_file("j-cto", source, out, rejects_path=rejects)
    assert (report.rows, report.scored, report.problems) == (4, 2, 5)
    assert pl.read_parquet(out).get_column("case_id").to_list() == ["a", "b"]
    assert pl.read_csv(rejects).get_column("row").unique().sort().to_list() == [3, 4]
    with pytest.raises(InputError, match="invalid row"):
        risk.score_file("j-cto", source, tmp_path / "again.csv")
    with pytest.raises(InputError, match="unsupported file type"):
        risk.score_file("j-cto", source, tmp_path / "out.xlsx")
    with pytest.raises(InputError, match="no such file"):
        risk.score_file("j-cto", tmp_path / "absent.csv", out)


def test_a_huge_out_of_range_value_is_shown_as_given() -> None:
    """A value past the int64 range is reported as given, not as a wrapped integer."""
    with pytest.raises(InputError) as caught:
        risk.score("precise-dapt", baseline("precise-dapt", haemoglobin_g_dl=1e300))
    assert caught.value.problems["haemoglobin_g_dl"].endswith("(got 1e+300)")
