"""Scoring and registry rates on a local Spark session give what the in-process path gives.

Spark runs as ``local[2]`` bound to 127.0.0.1 with its web UI off. It needs Java
(``scripts/system-deps.sh test`` installs Debian's runtime) and the ``spark``
extra; where either cannot be had the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest

from stentguide.cases.analytics import wilson_interval
from stentguide.risk import score_frame_with_rejects

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ROWS = 100_000
BAD_AGE_EVERY = 997


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: scripts/system-deps.sh test installs one")
    sql = pytest.importorskip("pyspark.sql", reason="the spark extra is not installed")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The Python workers run this interpreter, which has stentguide installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        sql.SparkSession.builder.master("local[2]")
        .appName("stentguide-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _dapt_rows() -> pl.DataFrame:
    rng = np.random.default_rng(20)
    ages = rng.uniform(18, 100, ROWS)
    ages[::BAD_AGE_EVERY] = 150.0  # beyond the plausibility limit: must be flagged, not scored
    flags = {
        name: rng.random(ROWS) < 0.3
        for name in (
            "cigarette_smoking",
            "diabetes",
            "mi_at_presentation",
            "prior_pci_or_mi",
            "paclitaxel_eluting_stent",
            "chf_or_lvef_below_30",
            "vein_graft_pci",
        )
    }
    return pl.DataFrame(
        {
            "case_id": np.arange(ROWS, dtype=np.int64),
            "age_years": ages,
            "stent_diameter_mm": rng.uniform(2.0, 4.5, ROWS),
            **flags,
        }
    )


def test_spark_scores_every_row_as_the_in_process_path_does(spark: Any) -> None:
    from stentguide.spark import score_spark

    rows = _dapt_rows()
    local, rejects = score_frame_with_rejects("dapt", rows, invalid="skip")
    frame = spark.createDataFrame(rows.to_arrow())
    scored = pl.from_arrow(score_spark(frame, "dapt").toArrow())
    assert isinstance(scored, pl.DataFrame)

    assert scored.height == ROWS
    flagged = scored.filter(pl.col("dapt_problems").is_not_null())
    assert flagged.height == rejects["row"].n_unique() == len(range(0, ROWS, BAD_AGE_EVERY))
    assert flagged["dapt_points"].null_count() == flagged.height
    assert flagged["dapt_problems"].str.starts_with("age_years:").all()

    expected = local.select(
        "case_id", "dapt_points", pl.col("dapt_category").cast(pl.String)
    ).sort("case_id")
    got = (
        scored.filter(pl.col("dapt_problems").is_null())
        .select("case_id", pl.col("dapt_points").cast(pl.Int64), "dapt_category")
        .sort("case_id")
    )
    assert got.equals(expected)


def test_a_spark_sql_rate_has_the_same_wilson_interval(spark: Any) -> None:
    from stentguide.spark import grouped_rates

    rows = _dapt_rows().select(
        "case_id", (pl.col("case_id") % 3).alias("operator"), pl.col("diabetes")
    )
    rates = grouped_rates(spark.createDataFrame(rows.to_arrow()), "diabetes", by=["operator"])
    for line in rates.collect():
        part = rows.filter(pl.col("operator") == line["operator"])
        events, total = int(part["diabetes"].sum()), part.height
        assert (line["events"], line["total"]) == (events, total)
        low, high = wilson_interval(events, total)
        assert line["ci_low"] == pytest.approx(low * 100, rel=1e-12)
        assert line["ci_high"] == pytest.approx(high * 100, rel=1e-12)
