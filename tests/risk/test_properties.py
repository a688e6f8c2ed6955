"""Property tests: the batch path and the single-case path agree on random valid inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stentguide.risk import get_spec, list_scores, score, score_frame
from stentguide.risk._evaluate import _bands
from stentguide.risk._model import LevelValues, ScoreSpec, Variable

NAMES = [i.name for i in list_scores() if i.available]


def _thresholds(spec: ScoreSpec, var: Variable) -> list[float]:
    found: list[float] = []
    for rule in spec.rules:
        for cond in rule.when:
            if cond.variable != var.name:
                continue
            if isinstance(cond.value, float | int):
                found.append(float(cond.value))
            elif isinstance(cond.value, LevelValues):
                found.extend(cond.value.values.values())
        if rule.linear and rule.linear.variable == var.name:
            found += [rule.linear.x0, rule.linear.x1]
        if rule.per_unit and rule.per_unit.variable == var.name:
            found += [rule.per_unit.unit, 2 * rule.per_unit.unit]
    lo, hi = var.minimum or 0.0, var.maximum or 0.0
    return [t for t in found if lo <= t <= hi] + [lo, hi]


def _value(spec: ScoreSpec, var: Variable) -> st.SearchStrategy[Any]:
    if var.type == "bool":
        return st.booleans()
    if var.type == "category":
        return st.sampled_from(var.levels or [])
    lo, hi = var.minimum or 0.0, var.maximum or 0.0
    return st.one_of(
        st.floats(lo, hi, allow_nan=False, allow_infinity=False),
        st.sampled_from(_thresholds(spec, var)),
    )


def _cases(name: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    spec = get_spec(name)
    variables = [
        v for v in spec.variables if not v.required_when or "egfr" in v.required_when.values()
    ]
    case = st.fixed_dictionaries({v.name: _value(spec, v) for v in variables})
    return st.lists(case, min_size=1, max_size=25)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_equals_single(name: str, data: st.DataObject) -> None:
    cases = data.draw(_cases(name))
    spec = get_spec(name)
    prefix = name.replace("-", "_")
    frame = score_frame(name, pl.DataFrame(cases))
    singles = [score(name, c) for c in cases]
    if spec.kind == "equation":
        column = next(c for c in frame.columns if c.startswith(prefix))
        assert frame.get_column(column).to_list() == [r.value for r in singles]
        return
    if spec.kind == "criteria":
        for group in ("major", "minor"):
            expected = [r.group_counts[group] for r in singles]
            assert frame.get_column(f"{prefix}_{group}").to_list() == expected
    else:
        assert frame.get_column(f"{prefix}_points").to_list() == [r.points for r in singles]
    if spec.categories:
        got = frame.get_column(f"{prefix}_category").cast(pl.String).to_list()
        assert got == [r.category for r in singles]
    if spec.uncertainty_margin is not None and spec.kind == "points":
        near = frame.get_column(f"{prefix}_near_cutoff").to_list()
        assert near == [r.near_cutoff for r in singles]


@settings(max_examples=60, deadline=None)
@given(age=st.floats(18, 120), crcl=st.floats(0, 250), hb=st.floats(3, 25), wbc=st.floats(0.1, 200))
def test_precise_dapt_stays_on_its_published_scale(
    age: float, crcl: float, hb: float, wbc: float
) -> None:
    case = {
        "age_years": age,
        "creatinine_clearance_ml_min": crcl,
        "haemoglobin_g_dl": hb,
        "wbc_10e9_l": wbc,
        "prior_spontaneous_bleeding": False,
    }
    result = score("precise-dapt", case)
    assert 0 <= result.value <= 74
    assert (result.category == "high bleeding risk") == (result.value >= 25)


@settings(max_examples=200, deadline=None)
@given(
    totals=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50),
    edges=st.lists(st.floats(-1e6, 1e6), max_size=7, unique=True).map(sorted),
)
def test_bands_are_what_a_sorted_search_finds(totals: list[float], edges: list[float]) -> None:
    """A category found by comparisons is the binary search's, NaN and infinities included."""
    total = np.array(totals, dtype=np.float64)
    expected = np.searchsorted(np.array(edges, dtype=np.float64), total, side="right")
    assert _bands(total, edges).tolist() == expected.tolist()
