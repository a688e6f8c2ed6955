"""Frames of cases: score, validate and report a whole Polars or pandas frame in chunks.

Every row runs through the same vectorised evaluator as a single case; result columns
are prefixed with the score name, and every bad cell is reported by row and field.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from stentguide.errors import InputError
from stentguide.progress import Progress
from stentguide.risk._catalog import get_spec
from stentguide.risk._columns import (
    Columns,
    ParamValues,
    active_variables,
    from_frame,
    resolve_parameters,
)
from stentguide.risk._evaluate import Evaluation, evaluate, integral_points
from stentguide.risk._model import ScoreSpec
from stentguide.risk._units import unit_aliases

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHUNK_ROWS",
    "batch_error",
    "column_prefix",
    "empty_rejects",
    "rate_names",
    "score_frame",
    "score_frame_with_rejects",
    "validate_frame",
]

CHUNK_ROWS = 262_144
_SHOWN_PROBLEMS = 20


def _as_polars(frame: pl.DataFrame | pd.DataFrame) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    pandas = sys.modules.get("pandas")  # only a frame's owner has imported pandas
    if pandas is not None and isinstance(frame, pandas.DataFrame):
        converted: pl.DataFrame = pl.from_pandas(frame)
        return converted
    raise InputError(f"expected a Polars or pandas DataFrame, got {type(frame).__name__}")


def column_prefix(spec: ScoreSpec) -> str:
    """The prefix of the result columns a batch adds, e.g. ``j_cto``."""
    return spec.name.replace("-", "_")


def _result_columns(spec: ScoreSpec, ev: Evaluation) -> list[pl.Series]:
    prefix = column_prefix(spec)
    out: list[pl.Series] = []
    if spec.kind == "equation":
        unit = re.sub(r"[^a-z0-9]+", "_", spec.unit.lower()).strip("_")
        out.append(pl.Series(f"{prefix}_{unit}", ev.total))
    elif spec.kind == "criteria":
        out.extend(pl.Series(f"{prefix}_{g}", c) for g, c in ev.group_counts.items())
    else:
        points = pl.Series(f"{prefix}_points", ev.total)
        out.append(points.cast(pl.Int64) if integral_points(spec) else points)
    if ev.category is not None:
        names = [c.name for c in spec.categories]
        levels = pl.Series(f"{prefix}_category", names, dtype=pl.Enum(names))
        out.append(levels.gather(ev.category))
    if ev.near_cutoff is not None:
        out.append(pl.Series(f"{prefix}_near_cutoff", ev.near_cutoff))
    out.extend(_rate_columns(spec, ev, prefix))
    return out


def rate_names(spec: ScoreSpec) -> list[str]:
    """The rates a score's categories publish (``cin_percent``, ...), in first-seen order."""
    return list(dict.fromkeys(r.name for c in spec.categories for r in c.rates))


def _rate_columns(spec: ScoreSpec, ev: Evaluation, prefix: str) -> list[pl.Series]:
    """One Float64 column per published rate: the rate of each row's category, else null."""
    if ev.category is None:
        return []
    columns = []
    for name in rate_names(spec):
        table = np.array(
            [next((r.percent for r in c.rates if r.name == name), np.nan) for c in spec.categories]
        )
        values = pl.Series(f"{prefix}_{name}", table[ev.category], dtype=pl.Float64)
        columns.append(values.fill_nan(None))
    return columns


def _canonical_units(spec: ScoreSpec, params: ParamValues, frame: pl.DataFrame) -> pl.DataFrame:
    """Columns given in another unit (``serum_creatinine_umol_l``) become the score's own."""
    aliases = unit_aliases(v.name for v in active_variables(spec, params))
    given = [a for a in aliases if a in frame.columns]
    if not given:
        return frame
    clash = [a for a in given if aliases[a][0] in frame.columns]
    if clash:
        raise InputError(
            f"the input for {spec.name} gives one quantity twice",
            {a: f"give either {aliases[a][0]} or {a}, not both" for a in clash},
        )
    return frame.with_columns(
        (pl.col(a).cast(pl.Float64, strict=False) / aliases[a][1]).alias(aliases[a][0])
        for a in given
    ).drop(given)


def _rejects(cols: Columns, offset: int) -> pl.DataFrame:
    parts = [
        pl.DataFrame(
            {
                "row": p.rows + offset + 1,
                "field": pl.Series([p.field] * p.rows.size, dtype=pl.String),
                "problem": pl.Series([p.why] * p.rows.size, dtype=pl.String),
                "value": p.values
                if p.values is not None
                else pl.Series([None] * p.rows.size, dtype=pl.String),
            },
            schema={"row": pl.Int64, "field": pl.String, "problem": pl.String, "value": pl.String},
        )
        for p in cols.problems
    ]
    if not parts:
        return empty_rejects()
    return pl.concat(parts).sort("row", "field")


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"row": pl.Int64, "field": pl.String, "problem": pl.String, "value": pl.String}
    )


def _score_chunks(
    spec: ScoreSpec,
    params: ParamValues,
    frame: pl.DataFrame,
    progress: Progress | None,
) -> tuple[list[pl.Series], npt.NDArray[np.bool_], pl.DataFrame]:
    """Score a frame chunk by chunk: result columns, a mask of bad rows, and the rejects."""
    results: list[list[pl.Series]] = []
    bad_masks: list[npt.NDArray[np.bool_]] = []
    rejects: list[pl.DataFrame] = []
    total_rows = frame.height
    for offset in range(0, max(total_rows, 1), CHUNK_ROWS):
        chunk = frame.slice(offset, CHUNK_ROWS)
        cols = from_frame(spec, params, chunk)
        with np.errstate(all="ignore"):
            ev = evaluate(spec, params, cols.values, chunk.height, explain=False)
        results.append(_result_columns(spec, ev))
        bad_masks.append(cols.bad_rows())
        if cols.problems:
            rejects.append(_rejects(cols, offset))
        if progress is not None:
            progress(min(offset + CHUNK_ROWS, total_rows), total_rows)
    series = [
        pl.concat([chunk[i] for chunk in results], rechunk=False) for i in range(len(results[0]))
    ]
    bad = np.concatenate(bad_masks) if bad_masks else np.zeros(0, dtype=bool)
    return series, bad, (pl.concat(rejects) if rejects else empty_rejects())


def score_frame(
    name: str,
    frame: pl.DataFrame | pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    *,
    invalid: Literal["raise", "skip"] = "raise",
    progress: Progress | None = None,
) -> pl.DataFrame:
    """Score every row of a Polars or pandas frame; return the input plus result columns.

    Result columns are prefixed with the score name (``j_cto_points``,
    ``j_cto_category``). With ``invalid="raise"`` any bad row raises one
    :class:`~stentguide.errors.InputError` naming rows (1-based) and fields; with
    ``invalid="skip"`` bad rows are left out and a ``row`` column keeps the input row
    numbers (use :func:`validate_frame` or :func:`score_frame_with_rejects` for the reasons).
    """
    scored, _ = score_frame_with_rejects(name, frame, params, invalid=invalid, progress=progress)
    return scored


def score_frame_with_rejects(
    name: str,
    frame: pl.DataFrame | pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    *,
    invalid: Literal["raise", "skip"] = "skip",
    progress: Progress | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score a frame in one pass; return the scored rows and a frame of rejects.

    The rejects frame has one line per bad cell: ``row`` (1-based), ``field``,
    ``problem``, ``value``.
    """
    spec = get_spec(name)
    values = resolve_parameters(spec, params)
    data = _canonical_units(spec, values, _as_polars(frame))
    series, bad, rejects = _score_chunks(spec, values, data, progress)
    if bad.any() and invalid == "raise":
        raise batch_error(spec, rejects)
    if invalid == "raise":
        return data.with_columns(series), rejects
    keep = ~bad
    rows = pl.Series("row", np.arange(1, data.height + 1, dtype=np.int64))
    scored = data.with_columns([rows, *series])
    if bad.any():
        scored = scored.filter(pl.Series(keep))
    return scored, rejects


def validate_frame(
    name: str, frame: pl.DataFrame | pd.DataFrame, params: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """Every bad cell of a frame (``row``, ``field``, ``problem``, ``value``); empty when clean."""
    spec = get_spec(name)
    values = resolve_parameters(spec, params)
    data = _canonical_units(spec, values, _as_polars(frame))
    rejects = [
        _rejects(from_frame(spec, values, data.slice(o, CHUNK_ROWS)), o)
        for o in range(0, max(data.height, 1), CHUNK_ROWS)
    ]
    return pl.concat(rejects)


def batch_error(
    spec: ScoreSpec,
    rejects: pl.DataFrame,
    *,
    bad_rows: int | None = None,
    problems: int | None = None,
) -> InputError:
    """One error for a batch's bad rows: the count and the first problems by row and field.

    ``rejects`` may hold only the first problems of a streamed file; ``bad_rows`` and
    ``problems`` then give the totals.
    """
    if bad_rows is None:
        bad_rows = rejects.get_column("row").n_unique()
    shown = rejects.head(_SHOWN_PROBLEMS)
    named = {
        f"row {r['row']} {r['field']}": r["problem"]
        + (f" (got {r['value']})" if r["value"] is not None else "")
        for r in shown.iter_rows(named=True)
    }
    more = (rejects.height if problems is None else problems) - shown.height
    tail = f"; {more} more problem(s) not shown" if more else ""
    return InputError(f"{bad_rows} invalid row(s) for {spec.name}{tail}", named)
