"""Streaming file scoring gives exactly the in-memory answer, across several batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from stentguide import risk
from stentguide.errors import InputError

ROWS = 600_000  # more than two batches of either reader


def _frame(rows: int, *, dirty: bool) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    length = np.round(rng.uniform(2, 60, rows), 1).astype(str).astype(object)
    if dirty:
        length[::97_003] = "unknown"
        length[5::250_001] = "900"
    return pl.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(rows)],
            "blunt_stump": rng.random(rows) < 0.5,
            "calcification": rng.random(rows) < 0.5,
            "bending_over_45_degrees": rng.random(rows) < 0.3,
            "occlusion_length_mm": pl.Series(length.tolist(), dtype=pl.String),
            "retry_lesion": rng.random(rows) < 0.2,
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("dirty", [False, True])
def test_streamed_file_matches_the_frame(tmp_path: Path, suffix: str, dirty: bool) -> None:
    frame = _frame(ROWS, dirty=dirty)
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        frame.write_csv(source)
    else:
        frame.write_parquet(source, row_group_size=100_000)
    out, bad = tmp_path / "out.parquet", tmp_path / "bad.csv"
    report = risk.score_file("j-cto", source, out, rejects_path=bad)
    expected, rejects = risk.score_frame_with_rejects("j-cto", frame)
    got = pl.read_parquet(out)
    assert (report.rows, report.scored, report.problems) == (ROWS, expected.height, rejects.height)
    assert got.get_column("row").to_list() == expected.get_column("row").to_list()
    for column in ("case_id", "j_cto_points"):
        assert got.get_column(column).to_list() == expected.get_column(column).to_list()
    assert (
        got.get_column("j_cto_category")
        .cast(pl.String)
        .equals(expected.get_column("j_cto_category").cast(pl.String))
    )
    assert pl.read_csv(bad, schema=rejects.schema).equals(rejects)
    if dirty:
        assert rejects.height == 10
        with pytest.raises(InputError, match=f"{rejects.height} invalid row") as caught:
            risk.score_file("j-cto", source, tmp_path / "again.csv")
        assert "row 1 occlusion_length_mm" in caught.value.problems
        assert not (tmp_path / "again.csv").exists()
    else:
        assert rejects.height == 0
        typed = pl.read_parquet(out).schema
        assert typed["blunt_stump"] == pl.Boolean
        assert typed["occlusion_length_mm"] == (pl.Float64 if suffix == ".csv" else pl.String)


def test_streamed_csv_keeps_the_text_parsing(tmp_path: Path) -> None:
    """Words the text parser takes (yes/no, padded numbers) score as they did."""
    source = tmp_path / "in.csv"
    source.write_text(
        "case_id,blunt_stump,calcification,bending_over_45_degrees,occlusion_length_mm,"
        "retry_lesion\na,yes,no,Y,20,false\nb,TRUE,0,n, 19.5 ,No\nc,,1,1,,0\n"
    )
    out, bad = tmp_path / "out.csv", tmp_path / "bad.parquet"
    report = risk.score_file("j-cto", source, out, rejects_path=bad)
    assert (report.rows, report.scored) == (3, 2)
    assert pl.read_csv(out).get_column("j_cto_points").to_list() == [3, 1]
    assert pl.read_parquet(bad).get_column("field").to_list() == [
        "blunt_stump",
        "occlusion_length_mm",
    ]


def test_an_empty_file_gives_empty_outputs(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "blunt_stump,calcification,bending_over_45_degrees,occlusion_length_mm,retry_lesion\n"
    )
    out = tmp_path / "out.csv"
    report = risk.score_file("j-cto", source, out)
    assert (report.rows, report.scored, report.problems) == (0, 0, 0)
    assert "j_cto_points" in pl.read_csv(out).columns


def test_dates_in_other_columns_stay_as_written(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "case_id,seen,blunt_stump,calcification,bending_over_45_degrees,occlusion_length_mm,"
        "retry_lesion\n7,2024-01-05,true,false,false,25,false\n"
    )
    out = tmp_path / "out.csv"
    risk.score_file("j-cto", source, out)
    assert out.read_text().splitlines()[1].startswith("7,2024-01-05,true,false,false,25.0,")
