"""The public functions: one case, a frame, a file, the catalogue and the input schema."""

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
from stentguide.references import reference
from stentguide.risk._catalog import all_specs, get_spec, withheld_scores
from stentguide.risk._columns import (
    Columns,
    ParamValues,
    active_variables,
    from_frame,
    from_mapping,
    resolve_parameters,
)
from stentguide.risk._evaluate import Evaluation, active_rules, evaluate, integral_points
from stentguide.risk._model import ScoreSpec
from stentguide.risk._result import Component, ScoreInfo, ScoreResult, outcome_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHUNK_ROWS",
    "input_schema",
    "list_scores",
    "score",
    "score_frame",
    "score_frame_with_rejects",
    "validate_frame",
]

CHUNK_ROWS = 262_144
_SHOWN_PROBLEMS = 20


def list_scores() -> list[ScoreInfo]:
    """Every shipped score, then the withheld ones with the reason they are not available."""
    shipped = [
        ScoreInfo(name=s.name, title=s.title, available=True, purpose=s.purpose, kind=s.kind)
        for s in all_specs().values()
    ]
    withheld = [
        ScoreInfo(name=w.name, title=w.title, available=False, reason=w.reason)
        for w in withheld_scores()
    ]
    return shipped + withheld


def score(
    name: str, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
) -> ScoreResult:
    """Score one case.

    Every missing, unknown, ill-typed or out-of-range field is reported at once in
    one :class:`~stentguide.errors.InputError` whose ``problems`` maps field to reason.
    The case runs through the same vectorised engine as a batch, on arrays of length 1.
    """
    spec = get_spec(name)
    values = resolve_parameters(spec, params)
    cols = from_mapping(spec, values, inputs)
    if cols.problems:
        problems = {}
        for p in cols.problems:
            shown = p.values[0] if p.values is not None and "got" not in p.why else None
            problems[p.field] = f"{p.why} (got {shown})" if shown is not None else p.why
        raise InputError(f"invalid input for {spec.name}", problems)
    with np.errstate(all="ignore"):
        ev = evaluate(spec, values, cols.values, 1)
    return _result(spec, values, cols, ev)


def _result(spec: ScoreSpec, params: ParamValues, cols: Columns, ev: Evaluation) -> ScoreResult:
    total = float(ev.total[0])
    components = []
    for rule in active_rules(spec, params):
        pts = float(ev.rule_points[rule.id][0])
        components.append(
            Component(
                id=rule.id,
                label=rule.label,
                met=pts != 0,
                points=pts,
                group=rule.group,
                note=rule.note,
                sources=rule.sources,
            )
        )
    category = label = None
    figures = list(spec.outcome)
    if ev.category is not None:
        cat = spec.categories[int(ev.category[0])]
        category, label = cat.name, cat.label
        figures = list(cat.outcome) + figures
    sources = _unique(
        list(spec.sources)
        + [k for f in figures for k in f.sources]
        + [k for c in components if c.met for k in c.sources]
    )
    points: int | float | None = None
    if spec.kind != "equation":
        points = int(total) if integral_points(spec) else total
    return ScoreResult(
        score=spec.name,
        title=spec.title,
        value=total,
        unit=spec.unit,
        points=points,
        category=category,
        category_label=label,
        outcome=figures,
        outcome_text=outcome_text(figures),
        group_counts={g: int(c[0]) for g, c in ev.group_counts.items()},
        near_cutoff=bool(ev.near_cutoff[0]) if ev.near_cutoff is not None else False,
        components=components,
        inputs={k: _plain(spec, k, v[0]) for k, v in cols.values.items()},
        parameters=dict(params),
        notes=list(spec.notes),
        sources=sources,
        citations=[reference(k).citation() for k in sources],
    )


def _plain(spec: ScoreSpec, name: str, value: Any) -> bool | float | str:
    var = next(v for v in spec.variables if v.name == name)
    if var.type == "bool":
        return bool(value)
    if var.type == "category":
        return (var.levels or [])[int(value)]
    return float(value)


def _unique(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(keys))


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
    return out


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
        return _empty_rejects()
    return pl.concat(parts).sort("row", "field")


def _empty_rejects() -> pl.DataFrame:
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
            ev = evaluate(spec, params, cols.values, chunk.height)
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
    return series, bad, (pl.concat(rejects) if rejects else _empty_rejects())


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
    data = _as_polars(frame)
    series, bad, rejects = _score_chunks(spec, values, data, progress)
    if bad.any() and invalid == "raise":
        raise _batch_error(spec, rejects)
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
    data = _as_polars(frame)
    rejects = [
        _rejects(from_frame(spec, values, data.slice(o, CHUNK_ROWS)), o)
        for o in range(0, max(data.height, 1), CHUNK_ROWS)
    ]
    return pl.concat(rejects)


def _batch_error(spec: ScoreSpec, rejects: pl.DataFrame) -> InputError:
    bad_rows = rejects.get_column("row").n_unique()
    shown = rejects.head(_SHOWN_PROBLEMS)
    problems = {
        f"row {r['row']} {r['field']}": r["problem"]
        + (f" (got {r['value']})" if r["value"] is not None else "")
        for r in shown.iter_rows(named=True)
    }
    more = rejects.height - shown.height
    tail = f"; {more} more problem(s) not shown" if more else ""
    return InputError(f"{bad_rows} invalid row(s) for {spec.name}{tail}", problems)


def input_schema(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of one case's inputs under these parameters."""
    spec = get_spec(name)
    values = resolve_parameters(spec, params)
    properties: dict[str, Any] = {}
    for var in active_variables(spec, values):
        prop: dict[str, Any] = {"description": var.description}
        if var.type == "bool":
            prop["type"] = "boolean"
        elif var.type == "category":
            prop["type"] = "string"
            prop["enum"] = list(var.levels or [])
        else:
            prop["type"] = "integer" if var.type == "int" else "number"
            prop["minimum"] = var.minimum
            prop["maximum"] = var.maximum
        if var.unit:
            prop["x-unit"] = var.unit
        properties[var.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"stentguide:score:{spec.name}",
        "title": spec.title,
        "description": spec.purpose,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "x-parameters": dict(values),
    }
