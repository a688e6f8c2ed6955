"""Turning user input into typed NumPy columns, and finding every bad value.

Two front ends feed the one engine: a mapping (one case, arrays of length 1, no
DataFrame start-up) and a Polars frame (a batch, converted column by column with
vectorised casts). Both yield :class:`Columns`: one array per input variable plus
the list of problems, each naming the field and the rows at fault. Range checks
are shared and vectorised (:func:`check_ranges`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from stentguide.errors import InputError
from stentguide.risk._model import Parameter, ScoreSpec, Variable

__all__ = [
    "Columns",
    "Problem",
    "active_variables",
    "check_ranges",
    "from_frame",
    "from_mapping",
    "resolve_parameters",
]

ParamValues = dict[str, float | str]
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


@dataclass(frozen=True)
class Problem:
    """One kind of fault in one field, at the given (0-based) rows, with the offending values."""

    field: str
    rows: npt.NDArray[np.intp]
    why: str
    values: pl.Series | None = None


@dataclass
class Columns:
    """Typed input columns (bool, float64, or int16 level codes) and their problems."""

    n: int
    values: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, name: str, mask: npt.NDArray[np.bool_], why: str, raw: Any = None) -> None:
        """Record ``why`` for ``name`` at every row where ``mask`` is true.

        ``raw`` (a Polars series, a NumPy array or a list, aligned with the rows)
        supplies the offending values, gathered without a Python loop.
        """
        rows = np.flatnonzero(mask)
        if not rows.size:
            return
        shown: pl.Series | None = None
        if isinstance(raw, pl.Series):
            shown = raw.gather(rows).cast(pl.String)
        elif isinstance(raw, np.ndarray):
            picked = raw[rows]
            finite = np.isfinite(picked)
            exact = finite & (np.abs(np.where(finite, picked, 0)) < 2**53)  # fits an int64
            whole = picked.dtype.kind == "f" and bool(np.all(exact & (picked % 1 == 0)))
            shown = pl.Series(picked.astype(np.int64) if whole else picked).cast(pl.String)
        elif raw is not None:
            shown = pl.Series([_show(raw[i]) for i in rows], dtype=pl.String)
        self.problems.append(Problem(name, rows, why, shown))

    def bad_rows(self, name: str | None = None) -> npt.NDArray[np.bool_]:
        """A mask of the rows with at least one problem (in field ``name``, if given)."""
        bad = np.zeros(self.n, dtype=bool)
        for problem in self.problems:
            if name is None or problem.field == name:
                bad[problem.rows] = True
        return bad


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _describe_range(var: Variable) -> str:
    unit = f" {var.unit}" if var.unit else ""
    return f"{_show(var.minimum)} to {_show(var.maximum)}{unit}"


def resolve_parameters(spec: ScoreSpec, given: Mapping[str, Any] | None) -> ParamValues:
    """The spec's parameters with the caller's overrides, each checked."""
    declared = {p.name: p for p in spec.parameters}
    problems: dict[str, str] = {}
    resolved: ParamValues = {p.name: p.default for p in spec.parameters}
    for key, raw in (given or {}).items():
        if key not in declared:
            known = ", ".join(declared) or "none"
            problems[key] = f"not a parameter of {spec.name} (parameters: {known})"
            continue
        value = _parameter_value(declared[key], raw)
        if isinstance(value, str) and value.startswith("!"):
            problems[key] = value[1:]
        else:
            resolved[key] = value
    if problems:
        raise InputError(f"invalid parameters for {spec.name}", problems)
    return resolved


def _parameter_value(param: Parameter, raw: Any) -> float | str:
    if param.choices:
        text = str(raw).strip().lower()
        return text if text in param.choices else f"!must be one of {', '.join(param.choices)}"
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return "!must be a number"
    lo, hi = param.minimum, param.maximum
    if lo is None or hi is None or not (lo <= number <= hi):
        return f"!must be between {_show(lo)} and {_show(hi)}"
    return number


def active_variables(spec: ScoreSpec, params: ParamValues) -> list[Variable]:
    """The inputs this score asks for under these parameter values."""
    return [
        v
        for v in spec.variables
        if not v.required_when or all(params.get(k) == val for k, val in v.required_when.items())
    ]


def from_mapping(
    spec: ScoreSpec,
    params: ParamValues,
    inputs: Mapping[str, Any],
    *,
    skip_ranges: set[str] | None = None,
) -> Columns:
    """One case as arrays of length 1; unknown, missing and ill-typed fields are problems.

    ``skip_ranges`` names inputs computed by an equation from checked inputs: their
    plausibility range is not applied (the inputs they came from were checked).
    """
    cols = Columns(n=1)
    active = active_variables(spec, params)
    names = {v.name for v in active}
    one = np.ones(1, dtype=bool)
    for key in inputs:
        if key in names:
            continue
        if any(v.name == key for v in spec.variables):
            cols.add(key, one, f"not used with these parameters ({_param_text(params)})")
        else:
            cols.add(key, one, f"not an input of {spec.name}")
    for var in active:
        raw = inputs.get(var.name)
        if raw is None:
            cols.add(var.name, one, "missing")
            cols.values[var.name] = _filler(var, 1)
            continue
        value, why = _scalar(var, raw)
        if why:
            cols.add(var.name, one, why, [raw])
            cols.values[var.name] = _filler(var, 1)
        else:
            cols.values[var.name] = np.array([value], dtype=_dtype(var))
    check_ranges([v for v in active if v.name not in (skip_ranges or set())], cols)
    return cols


def _param_text(params: ParamValues) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in params.items()) or "defaults"


def _dtype(var: Variable) -> type[np.generic]:
    return {"bool": np.bool_, "category": np.int16}.get(var.type, np.float64)


def _filler(var: Variable, n: int) -> npt.NDArray[Any]:
    return np.zeros(n, dtype=_dtype(var))


def _scalar(var: Variable, raw: Any) -> tuple[Any, str | None]:
    if var.type == "bool":
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw), None
        return None, f"expected true or false, got {raw!r}"
    if var.type == "category":
        levels = var.levels or []
        if isinstance(raw, str) and raw.strip().lower() in levels:
            return levels.index(raw.strip().lower()), None
        return None, f"expected one of {', '.join(levels)}, got {raw!r}"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, f"expected a number, got {raw!r}"
    if not math.isfinite(raw):
        return None, "not a finite number"
    if var.type == "int" and float(raw) != math.floor(raw):
        return None, f"expected a whole number, got {raw!r}"
    return float(raw), None


def from_frame(spec: ScoreSpec, params: ParamValues, frame: pl.DataFrame) -> Columns:
    """A batch as NumPy columns, converted with vectorised casts; every bad cell is a problem."""
    active = active_variables(spec, params)
    absent = [v.name for v in active if v.name not in frame.columns]
    if absent:
        raise InputError(
            f"the input for {spec.name} lacks columns",
            {name: "missing column" for name in absent},
        )
    cols = Columns(n=frame.height)
    for var in active:
        series = frame.get_column(var.name)
        if var.type == "bool":
            _bool_column(var, series, cols)
        elif var.type == "category":
            _category_column(var, series, cols)
        else:
            _numeric_column(var, series, cols)
    check_ranges(active, cols)
    return cols


def _null_mask(series: pl.Series) -> npt.NDArray[np.bool_]:
    missing = series.is_null()
    if series.dtype == pl.String:
        missing = missing | (series.str.strip_chars() == "").fill_null(True)
    mask: npt.NDArray[np.bool_] = missing.to_numpy()
    return mask


def _bool_column(var: Variable, series: pl.Series, cols: Columns) -> None:
    missing = _null_mask(series)
    cols.add(var.name, missing, "missing")
    dtype = series.dtype
    if dtype == pl.Boolean:
        cols.values[var.name] = series.fill_null(False).to_numpy()
        return
    if dtype.is_numeric():
        as_float = series.cast(pl.Float64).fill_null(0.0).to_numpy()
        not_01 = ~missing & ~np.isin(as_float, (0.0, 1.0))
        cols.add(var.name, not_01, "expected true or false (or 1/0)", series)
        cols.values[var.name] = as_float == 1.0
        return
    if dtype == pl.String:
        text = series.str.strip_chars().str.to_lowercase()
        is_true = text.is_in(_TRUE).fill_null(False).to_numpy()
        is_false = text.is_in(_FALSE).fill_null(False).to_numpy()
        cols.add(var.name, ~missing & ~is_true & ~is_false, "expected true or false", series)
        cols.values[var.name] = is_true
        return
    cols.add(var.name, ~missing, f"expected true or false, column is {dtype}", series)
    cols.values[var.name] = np.zeros(cols.n, dtype=bool)


def _category_column(var: Variable, series: pl.Series, cols: Columns) -> None:
    levels = var.levels or []
    missing = _null_mask(series)
    cols.add(var.name, missing, "missing")
    if series.dtype in (pl.String, pl.Categorical) or isinstance(series.dtype, pl.Enum):
        text = series.cast(pl.String).str.strip_chars().str.to_lowercase()
        codes = text.replace_strict(
            levels, list(range(len(levels))), default=None, return_dtype=pl.Int16
        )
        unknown = ~missing & codes.is_null().to_numpy()
        cols.add(var.name, unknown, f"expected one of {', '.join(levels)}", series)
        cols.values[var.name] = codes.fill_null(0).to_numpy()
        return
    cols.add(var.name, ~missing, f"expected one of {', '.join(levels)}", series)
    cols.values[var.name] = np.zeros(cols.n, dtype=np.int16)


def _numeric_column(var: Variable, series: pl.Series, cols: Columns) -> None:
    missing = _null_mask(series)
    cols.add(var.name, missing, "missing")
    dtype = series.dtype
    if dtype == pl.String:
        parsed = series.str.strip_chars().cast(pl.Float64, strict=False)
        cols.add(var.name, ~missing & parsed.is_null().to_numpy(), "expected a number", series)
    elif dtype.is_numeric():
        parsed = series.cast(pl.Float64)
    else:
        cols.add(var.name, ~missing, f"expected a number, column is {dtype}", series)
        cols.values[var.name] = np.zeros(cols.n)
        return
    values = parsed.fill_null(0.0).to_numpy()
    cols.add(var.name, ~np.isfinite(values), "not a finite number", series)
    if var.type == "int":
        finite = np.where(np.isfinite(values), values, 0.0)
        cols.add(var.name, finite != np.floor(finite), "expected a whole number", series)
    cols.values[var.name] = values


def check_ranges(active: list[Variable], cols: Columns) -> None:
    """Flag every numeric value outside its variable's allowed range (vectorised)."""
    for var in active:
        if var.type not in ("int", "float") or var.minimum is None or var.maximum is None:
            continue
        x = cols.values[var.name]
        outside = ((x < var.minimum) | (x > var.maximum)) & ~cols.bad_rows(var.name)
        if outside.any():
            cols.add(var.name, outside, f"outside the allowed range {_describe_range(var)}", x)
