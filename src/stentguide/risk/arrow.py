"""Scoring Arrow record batches: the adapter any engine can call (Spark, DuckDB, Ray, Polars).

:func:`score_batches` takes an iterator of :class:`pyarrow.RecordBatch` and yields,
for each, the carried columns (e.g. ``case_id``), the score's result columns and
one ``<prefix>_problems`` text column: null for a row that scored, and every bad
field of the row (``field: why``) otherwise, with the results left null. Nothing is
dropped or reordered, so a caller can join the output back on its own key.
It is the same validation and evaluation as :func:`~stentguide.risk.score_frame`;
only the shape of the answer differs (an engine that maps batches needs one row
out per row in). Categories are plain text, which every engine takes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from stentguide.errors import InputError
from stentguide.risk._batch import column_prefix, score_frame_with_rejects
from stentguide.risk._catalog import get_spec

__all__ = ["score_batches", "score_table"]


def _scored(
    name: str, frame: pl.DataFrame, params: Mapping[str, Any] | None, keep: Sequence[str]
) -> pl.DataFrame:
    missing = [column for column in keep if column not in frame.columns]
    if missing:
        raise InputError(
            "columns to carry are missing", {column: "not in the input" for column in missing}
        )
    prefix = column_prefix(get_spec(name))
    scored, rejects = score_frame_with_rejects(name, frame, params, invalid="skip")
    added = [c for c in scored.columns if c not in frame.columns and c != "row"]
    results = scored.select(
        "row",
        *[
            pl.col(c).cast(pl.String) if isinstance(scored.schema[c], pl.Enum) else pl.col(c)
            for c in added
        ],
    )
    problems = rejects.group_by("row").agg(
        pl.format("{}: {}", "field", "problem").sort().str.join("; ").alias(f"{prefix}_problems")
    )
    rows = (
        frame.select(keep)
        .with_row_index("row", offset=1)
        .with_columns(pl.col("row").cast(pl.Int64))
    )
    out = rows.join(results, on="row", how="left").join(problems, on="row", how="left")
    return out.sort("row").drop("row")


def score_batches(
    name: str,
    batches: Iterable[pa.RecordBatch],
    params: Mapping[str, Any] | None = None,
    *,
    keep: Sequence[str] = ("case_id",),
) -> Iterator[pa.RecordBatch]:
    """Score each batch; yield ``keep`` columns, result columns and ``<prefix>_problems``."""
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield from _scored(name, frame, params, keep).to_arrow().to_batches()


def score_table(
    name: str,
    table: pa.Table,
    params: Mapping[str, Any] | None = None,
    *,
    keep: Sequence[str] = ("case_id",),
) -> pa.Table:
    """:func:`score_batches` over a whole Arrow table (one batch at a time)."""
    batches = list(score_batches(name, table.to_batches(), params, keep=keep))
    if not batches:
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return _scored(name, frame, params, keep).to_arrow()
    return pa.Table.from_batches(batches)
