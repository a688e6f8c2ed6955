"""Batch scoring speed of every score against a bare NumPy pass over the same typed columns.

For each shipped score, a frame of ``STENTGUIDE_BENCH_SCORE_ROWS`` (default
1,000,000) synthetic rows with typed, null-free columns (yes/no as Boolean,
numbers as Float64 inside their allowed range, levels as an Enum) is scored by
``score_frame`` (validation, evaluation, result columns). The baseline, timed in
the same run on the same frame, is the least NumPy work that gives the same total
and category: each column to NumPy, one vectorised operation per rule (or the
equation), one ``searchsorted`` for the band, no validation and no output frame.
Goal: the batch within 2× of it (ratio = batch rows/s ÷ bare rows/s, ≥ 0.5).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from bench._common import Result, rate
from stentguide.risk import score_frame
from stentguide.risk._catalog import all_specs
from stentguide.risk._columns import active_variables, resolve_parameters
from stentguide.risk._equations import EQUATIONS
from stentguide.risk._evaluate import active_rules
from stentguide.risk._model import LevelValues, ParamRef, ScoreSpec

ROWS = int(os.environ.get("STENTGUIDE_BENCH_SCORE_ROWS", "1000000"))
_OPS = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}


def _frame(spec: ScoreSpec, rows: int, rng: np.random.Generator) -> pl.DataFrame:
    params = resolve_parameters(spec, None)
    columns: dict[str, pl.Series] = {}
    for var in active_variables(spec, params):
        if var.type == "bool":
            columns[var.name] = pl.Series(rng.random(rows) < 0.3)
        elif var.type == "category":
            levels = var.levels or []
            codes = rng.integers(0, len(levels), rows)
            columns[var.name] = pl.Series(np.array(levels)[codes]).cast(pl.Enum(levels))
        else:
            lo, hi = float(var.minimum or 0), float(var.maximum or 0)
            values = rng.uniform(lo, hi, rows)
            columns[var.name] = pl.Series(np.round(values, 0 if var.type == "int" else 1))
    return pl.DataFrame(columns)


def _arrays(spec: ScoreSpec, frame: pl.DataFrame) -> dict[str, npt.NDArray[Any]]:
    out: dict[str, npt.NDArray[Any]] = {}
    for name in frame.columns:
        series = frame.get_column(name)
        out[name] = (
            series.to_physical().to_numpy()
            if isinstance(series.dtype, pl.Enum)
            else series.to_numpy()
        )
    return out


def _bare(spec: ScoreSpec, frame: pl.DataFrame) -> int:
    """The bare pass: total and category from the typed columns, nothing else."""
    params = resolve_parameters(spec, None)
    x = _arrays(spec, frame)
    n = frame.height
    levels = {v.name: v.levels or [] for v in spec.variables}
    if spec.kind == "equation":
        female = x["sex"] == levels["sex"].index("female") if "sex" in x else np.zeros(n, bool)
        total: Any = EQUATIONS[spec.equation or ""].compute(spec.constants, x, female, params)
        total = np.round(total, spec.decimals)
    else:
        total = np.zeros(n, dtype=np.float64)
        counts: dict[str, Any] = {}
        for rule in active_rules(spec, params):
            if rule.per_unit is not None:
                total += np.floor(x[rule.per_unit.variable] / rule.per_unit.unit) * rule.points
                continue
            if rule.linear is not None:
                lin = rule.linear
                v = np.clip(x[lin.variable], min(lin.x0, lin.x1), max(lin.x0, lin.x1))
                total += lin.points0 + (lin.points1 - lin.points0) / (lin.x1 - lin.x0) * (
                    v - lin.x0
                )
                continue
            met = np.ones(n, dtype=bool)
            for cond in rule.when:
                v = x[cond.variable]
                if cond.levels is not None:
                    met &= np.isin(v, [levels[cond.variable].index(lv) for lv in cond.levels])
                elif cond.op is None:
                    met &= v
                else:
                    op = (
                        str(params[cond.op.parameter]) if isinstance(cond.op, ParamRef) else cond.op
                    )
                    value = cond.value
                    if isinstance(value, ParamRef):
                        threshold: Any = float(params[value.parameter])
                    elif isinstance(value, LevelValues):
                        table = np.array([value.values[lv] for lv in levels[value.by]])
                        threshold = table[x[value.by]]
                    else:
                        threshold = float(value or 0)
                    met &= _OPS[op](v, threshold)
            total += met * rule.points
            if rule.group is not None:
                counts[rule.group] = counts.get(rule.group, 0) + met
        if spec.kind == "criteria":
            return n + len(counts)
    if spec.categories:
        edges = np.array([c.at_least for c in spec.categories[1:]], dtype=np.float64)
        np.searchsorted(edges, total, side="right")
    return n


def run() -> list[Result]:
    rng = np.random.default_rng(2026)
    results: list[Result] = []
    for name, spec in sorted(all_specs().items()):
        frame = _frame(spec, ROWS, rng)
        score_frame(name, frame)  # warm, and the frame must be clean
        batch = rate(lambda s=name, f=frame: score_frame(s, f).height, min_seconds=1.0, repeat=3)
        bare = rate(lambda s=spec, f=frame: _bare(s, f), min_seconds=1.0, repeat=3)
        results.append(
            Result(
                name=f"score speed: {name}, {ROWS:,} typed rows",
                unit="rows/s",
                subject=batch,
                baseline=bare,
                baseline_name="bare NumPy pass over the same typed columns",
                note=spec.kind,
            )
        )
    return results
