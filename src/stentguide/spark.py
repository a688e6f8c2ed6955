"""Scores and registry rates on Apache Spark, for a registry that already lives on a cluster.

Optional: ``pip install 'stentguide[spark]'`` (PySpark 4, which needs Java 17 or
newer). Nothing here is a second implementation: :func:`score_spark` maps the
unchanged scorer over Arrow batches (``DataFrame.mapInArrow`` with
:func:`stentguide.risk.arrow.score_batches`), and :func:`grouped_rates` is the
registry's events-out-of-total with the same Wilson 95 % interval as
:func:`stentguide.cases.analytics.wilson_interval`, written as Spark SQL.

>>> from pyspark.sql import SparkSession  # doctest: +SKIP
>>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
>>> scored = score_spark(spark.read.parquet("registry.parquet"), "dapt")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from stentguide.cases.analytics import Z95
from stentguide.risk.arrow import score_batches, score_table

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["grouped_rates", "score_spark", "wilson_columns"]

_SAMPLE_ROWS = 5


def score_spark(
    frame: DataFrame,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    keep: Sequence[str] = ("case_id",),
) -> DataFrame:
    """Score every row of a Spark DataFrame: ``keep`` columns, results and ``<score>_problems``.

    The output schema is found by scoring a few rows in the driver, so a bad input
    column (missing, wrong type) fails here, before the cluster starts work.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    sample: pa.Table = frame.limit(_SAMPLE_ROWS).toArrow()
    schema = from_arrow_schema(score_table(name, sample, params, keep=keep).schema)
    wanted = dict(params or {})
    carried = tuple(keep)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from score_batches(name, batches, wanted, keep=carried)

    return frame.mapInArrow(run, schema)


def wilson_columns(events: Column, total: Column, z: float = Z95) -> tuple[Column, Column]:
    """The Wilson interval's lower and upper bounds (proportions) as Spark columns."""
    from pyspark.sql import functions as f

    p = events / total
    z2 = z * z
    centre = (p + f.lit(z2) / (2 * total)) / (1 + f.lit(z2) / total)
    half = (
        f.lit(z) * f.sqrt(p * (1 - p) / total + f.lit(z2) / (4 * total * total))
    ) / (1 + f.lit(z2) / total)
    low = f.when(events == 0, f.lit(0.0)).otherwise(f.greatest(f.lit(0.0), centre - half))
    high = f.when(events == total, f.lit(1.0)).otherwise(f.least(f.lit(1.0), centre + half))
    return low, high


def grouped_rates(frame: DataFrame, event: str, by: Sequence[str] = ()) -> DataFrame:
    """Events out of cases per group, with the percentage and its Wilson 95 % interval.

    ``event`` is a boolean (or 0/1) column: a complication, a failed retrieval.
    Columns: the ``by`` columns, ``events``, ``total``, ``percent``, ``ci_low``,
    ``ci_high`` (percent).
    """
    from pyspark.sql import functions as f

    counted = frame.groupBy(*by).agg(
        f.sum(f.col(event).cast("long")).alias("events"), f.count(f.lit(1)).alias("total")
    )
    low, high = wilson_columns(f.col("events"), f.col("total"))
    return counted.select(
        *by,
        "events",
        "total",
        (f.col("events") / f.col("total") * 100).alias("percent"),
        (low * 100).alias("ci_low"),
        (high * 100).alias("ci_high"),
    )
