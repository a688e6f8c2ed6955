"""The one evaluation path: any score spec over NumPy columns, one row or a million.

Each rule becomes a vectorised expression (flag, level membership, comparison,
points per unit, or a clipped linear axis); the total is their sum; the category
comes from the bands (a comparison per cut-off) or, for criteria sets such as ARC-HBR,
from the counts of met rules per group. Equations (Cockcroft-Gault) are the only
score-specific code; they live in one registry (:mod:`stentguide.risk._equations`)
and take their constants from the spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from stentguide.risk._equations import EQUATIONS
from stentguide.risk._model import (
    Condition,
    LevelValues,
    LinearPoints,
    ParamRef,
    Rule,
    ScoreSpec,
    Variable,
)

__all__ = ["Evaluation", "active_rules", "evaluate", "integral_points"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ParamValues = dict[str, float | str]

_COMPARE: dict[str, Callable[[FloatArray, Any], BoolArray]] = {
    "ge": np.greater_equal,
    "gt": np.greater,
    "le": np.less_equal,
    "lt": np.less,
}


@dataclass(frozen=True)
class Evaluation:
    """Column-wise results: total, points per rule, met counts per group, category index."""

    total: FloatArray | npt.NDArray[np.int64]
    rule_points: dict[str, FloatArray]
    group_counts: dict[str, npt.NDArray[np.int64]]
    category: npt.NDArray[np.intp] | None
    near_cutoff: BoolArray | None


def active_rules(spec: ScoreSpec, params: ParamValues) -> list[Rule]:
    """The rules that apply under these parameter values."""
    return [
        r
        for r in spec.rules
        if not r.active_when or all(params.get(k) == v for k, v in r.active_when.items())
    ]


def integral_points(spec: ScoreSpec) -> bool:
    """True when every total of this score is a whole number."""
    return spec.kind != "equation" and all(
        r.linear is None and float(r.points).is_integer() for r in spec.rules
    )


def evaluate(
    spec: ScoreSpec,
    params: ParamValues,
    values: dict[str, npt.NDArray[Any]],
    n: int,
    *,
    explain: bool = True,
) -> Evaluation:
    """Score ``n`` rows whose inputs are the arrays in ``values`` (already validated).

    With ``explain=False`` (a batch, which shows no components) a points score whose
    points are whole numbers is compiled to integer arithmetic: one integer add per
    rule, and the category and near-cut-off flag looked up from a table indexed by
    the total; ``rule_points`` is then empty. Results are identical (property-tested
    against the explained path).
    """
    if not explain and spec.kind == "points" and integral_points(spec):
        return _integer_points(spec, params, values, n)
    if not explain and spec.kind == "points":
        return _float_points(spec, params, values, n)
    if not explain and spec.kind == "criteria":
        return _criteria_counts(spec, params, values, n)
    if spec.kind == "equation":
        total = np.round(_equation_value(spec, params, values, n), spec.decimals)
        return Evaluation(total, {}, {}, _categorise(spec, total, {}), None)
    inputs = _Inputs(params, values, {v.name: v for v in spec.variables})
    rule_points: dict[str, FloatArray] = {}
    group_counts: dict[str, npt.NDArray[np.int64]] = {}
    total = np.zeros(n, dtype=np.float64)
    for rule in active_rules(spec, params):
        points = _rule_points(rule, inputs)
        rule_points[rule.id] = points
        total += points
        if rule.group is not None:
            met = (points != 0).astype(np.int64)
            group_counts[rule.group] = group_counts.get(rule.group, np.zeros(n, np.int64)) + met
    total = np.round(total, spec.decimals)
    category = _categorise(spec, total, group_counts)
    near = None
    if spec.uncertainty_margin is not None and spec.kind == "points":
        near = _near_cutoff(total, spec.cut_offs, spec.uncertainty_margin)
    return Evaluation(total, rule_points, group_counts, category, near)


def _integer_points(
    spec: ScoreSpec, params: ParamValues, values: dict[str, npt.NDArray[Any]], n: int
) -> Evaluation:
    inputs = _Inputs(params, values, {v.name: v for v in spec.variables})
    total = np.zeros(n, dtype=np.int64)
    for rule in active_rules(spec, params):
        points = int(rule.points)
        if rule.per_unit is not None:
            steps = np.floor(values[rule.per_unit.variable] / rule.per_unit.unit)
            total += steps.astype(np.int64) * points
            continue
        met = _all_met(rule, inputs)
        if points == 1:
            total += met
        elif points == -1:
            total -= met
        else:
            total += met * np.int64(points)
    lowest = int(total.min()) if n else 0
    span = np.arange(lowest, (int(total.max()) if n else 0) + 1, dtype=np.float64)
    index = total - lowest
    category = None
    if spec.categories:
        edges = np.array([c.at_least for c in spec.categories[1:]], dtype=np.float64)
        category = np.searchsorted(edges, span, side="right")[index]
    near = None
    if spec.uncertainty_margin is not None:
        near = _near_cutoff(span, spec.cut_offs, spec.uncertainty_margin)[index]
    return Evaluation(total, {}, {}, category, near)


def _float_points(
    spec: ScoreSpec, params: ParamValues, values: dict[str, npt.NDArray[Any]], n: int
) -> Evaluation:
    """A points score with linear axes, in a batch: the explained arithmetic, in place.

    Each rule's points are added to one total in the order and with the operations
    of :func:`_rule_points` (so the totals are the same to the bit), in a buffer
    reused from rule to rule, and no array is filled with zeros first.
    """
    inputs = _Inputs(params, values, {v.name: v for v in spec.variables})
    total = np.zeros(n, dtype=np.float64) if n == 0 else None
    buffer = np.empty(n, dtype=np.float64)
    for rule in active_rules(spec, params):
        if rule.linear is not None:
            points = _linear_points(rule.linear, values[rule.linear.variable], buffer)
        elif rule.per_unit is not None:
            points = _rule_points(rule, inputs)
        else:
            met = _all_met(rule, inputs)
            if total is not None:
                np.add(total, float(rule.points), out=total, where=met)
                continue
            points = np.where(met, rule.points, 0.0)
        if total is None:  # 0.0 + points, as the explained path adds it
            total = points + 0.0
        else:
            total += points
    if total is None:
        total = np.zeros(n, dtype=np.float64)
    np.round(total, spec.decimals, out=total)
    cuts = spec.cut_offs
    category = _bands(total, cuts) if spec.categories else None
    near = None
    if spec.uncertainty_margin is not None:
        near = _near_cutoff(total, cuts, spec.uncertainty_margin, buffer)
    return Evaluation(total, {}, {}, category, near)


def _criteria_counts(
    spec: ScoreSpec, params: ParamValues, values: dict[str, npt.NDArray[Any]], n: int
) -> Evaluation:
    """Met criteria counted per group in integers; the category from the counts."""
    inputs = _Inputs(params, values, {v.name: v for v in spec.variables})
    counts: dict[str, npt.NDArray[np.int64]] = {}
    for rule in active_rules(spec, params):
        if rule.group is None:
            continue
        if rule.when and rule.per_unit is None and rule.linear is None:
            met = _all_met(rule, inputs)
            if rule.points == 0:
                met = np.zeros(n, dtype=bool)
        else:
            met = _rule_points(rule, inputs) != 0
        if rule.group in counts:
            counts[rule.group] += met
        else:
            counts[rule.group] = met.astype(np.int64)
    total = np.zeros(n, dtype=np.float64)
    return Evaluation(total, {}, counts, _categorise(spec, total, counts), None)


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What a rule reads: the parameters, the input columns, the variables by name."""

    params: ParamValues
    values: dict[str, npt.NDArray[Any]]
    variables: dict[str, Variable]


def _all_met(rule: Rule, inputs: _Inputs) -> BoolArray:
    """The rows where every condition of ``rule`` holds."""
    met = _condition(rule.when[0], inputs)
    for cond in rule.when[1:]:
        met = met & _condition(cond, inputs)
    return met


def _rule_points(rule: Rule, inputs: _Inputs) -> FloatArray:
    values = inputs.values
    if rule.per_unit is not None:
        x = values[rule.per_unit.variable]
        return np.floor(x / rule.per_unit.unit) * rule.points
    if rule.linear is not None:
        x = values[rule.linear.variable]
        return _linear_points(rule.linear, x, np.empty(x.shape, dtype=np.float64))
    return np.where(_all_met(rule, inputs), rule.points, 0.0)


def _linear_points(lin: LinearPoints, x: npt.NDArray[Any], out: FloatArray) -> FloatArray:
    """Points on a clipped linear axis, written into ``out`` (one pass per operation)."""
    np.clip(x, min(lin.x0, lin.x1), max(lin.x0, lin.x1), out=out)
    out -= lin.x0
    out *= (lin.points1 - lin.points0) / (lin.x1 - lin.x0)
    out += lin.points0
    return out


def _near_cutoff(
    total: FloatArray, cuts: list[float], margin: float, buffer: FloatArray | None = None
) -> BoolArray:
    """Whether each total lies within ``margin`` of a cut-off (``buffer``: scratch space)."""
    gap = np.empty(total.shape, dtype=np.float64) if buffer is None else buffer
    near = np.zeros(total.shape, dtype=bool)
    for cut in cuts:
        np.subtract(total, cut, out=gap)
        np.abs(gap, out=gap)
        near |= gap <= margin
    return near


def _condition(cond: Condition, inputs: _Inputs) -> BoolArray:
    x = inputs.values[cond.variable]
    if cond.levels is not None:
        levels = inputs.variables[cond.variable].levels or []
        member = np.array([level in cond.levels for level in levels], dtype=bool)
        by_code: BoolArray = member[x]
        return by_code
    if cond.op is None:
        flag: BoolArray = x.astype(bool, copy=False)
        return flag
    op = str(inputs.params[cond.op.parameter]) if isinstance(cond.op, ParamRef) else cond.op
    return _COMPARE[op](x, _threshold(cond.value, inputs))


def _threshold(value: float | ParamRef | LevelValues | None, inputs: _Inputs) -> float | FloatArray:
    if isinstance(value, ParamRef):
        return float(inputs.params[value.parameter])
    if isinstance(value, LevelValues):
        levels = inputs.variables[value.by].levels or []
        table = np.array([value.values[level] for level in levels], dtype=np.float64)
        by_row: FloatArray = table[inputs.values[value.by]]
        return by_row
    return float(value or 0.0)


def _categorise(
    spec: ScoreSpec, total: FloatArray, group_counts: dict[str, npt.NDArray[np.int64]]
) -> npt.NDArray[np.intp] | None:
    if not spec.categories:
        return None
    if spec.kind == "criteria":
        last = len(spec.categories) - 1
        index = np.full(total.shape, last, dtype=np.intp)
        for i in range(last - 1, -1, -1):
            matched = np.zeros(total.shape, dtype=bool)
            for threshold in spec.categories[i].when_any_group or []:
                counts = group_counts.get(threshold.group, np.zeros(total.shape, np.int64))
                matched |= counts >= threshold.at_least
            index = np.where(matched, i, index)
        return index
    return _bands(total, spec.cut_offs)


_FEW_EDGES = 4


def _bands(total: FloatArray, edges: list[float]) -> npt.NDArray[np.intp]:
    """Each total's band: how many of the (sorted) ``edges`` are at or below it.

    What ``np.searchsorted(edges, total, side="right")`` gives, NaN last as there,
    found for a few edges by one comparison each (several times faster than the
    binary search per row).
    """
    if len(edges) > _FEW_EDGES:
        bands: npt.NDArray[np.intp] = np.searchsorted(
            np.array(edges, dtype=np.float64), total, side="right"
        )
        return bands
    band = np.full(total.shape, len(edges), dtype=np.intp)
    for edge in edges:
        band -= total < edge  # NaN is below no edge: it stays in the last band
    return band


def _equation_value(
    spec: ScoreSpec, params: ParamValues, values: dict[str, npt.NDArray[Any]], n: int
) -> FloatArray:
    equation = EQUATIONS[spec.equation or ""]
    female = np.zeros(n, dtype=bool)
    sex = next((v for v in spec.variables if v.name == "sex"), None)
    if sex is not None and "sex" in values:
        female = values["sex"] == (sex.levels or []).index("female")
    return equation.compute(spec.constants, values, female, params)
