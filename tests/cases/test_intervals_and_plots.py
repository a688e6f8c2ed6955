"""The two 95% intervals of a registry rate, and the plot of rates by group."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.cases.analytics import (
    Comparison,
    IntervalMethod,
    Rate,
    clopper_pearson_interval,
    interval,
    wilson_interval,
)
from stentguide.cases.plots import rates_plot

SVG = "{http://www.w3.org/2000/svg}"


def _percent(bounds: tuple[float, float]) -> tuple[float, float]:
    return round(100 * bounds[0], 2), round(100 * bounds[1], 2)


def test_the_mayo_figure_is_the_exact_interval() -> None:
    # Brilakis 2005: 38 of 11,773 stent PCIs, "0.32% (95% CI 0.23-0.44%)"
    assert _percent(clopper_pearson_interval(38, 11_773)) == (0.23, 0.44)
    assert _percent(wilson_interval(38, 11_773)) == (0.24, 0.44)


def test_exact_interval_known_values() -> None:
    # Clopper and Pearson's beta quantiles, as tabulated (e.g. R binom.test)
    low, high = clopper_pearson_interval(3, 10)
    assert low == pytest.approx(0.06673951, abs=1e-7)
    assert high == pytest.approx(0.65245285, abs=1e-7)
    assert clopper_pearson_interval(0, 10) == (0.0, pytest.approx(0.30849710, abs=1e-7))
    assert clopper_pearson_interval(10, 10)[1] == 1.0


@given(st.integers(1, 5_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_both_intervals_hold_the_rate(counts: tuple[int, int]) -> None:
    events, total = counts
    share = events / total
    for method in IntervalMethod:
        low, high = interval(events, total, method)
        assert 0.0 <= low <= share <= high <= 1.0


def test_grouped_rates_are_plotted() -> None:
    comparisons = [
        Comparison(Rate("stent_loss", "Stent loss", year, events, 400))
        for year, events in (("2023", 2), ("2024", 1))
    ]
    svg = rates_plot(comparisons, "svg").decode()
    assert "Stent loss, 2023" in svg and "Stent loss, 2024" in svg


def test_the_svg_plot_is_well_formed_with_any_label_and_a_png_is_still_drawn() -> None:
    comparisons = [
        Comparison(Rate("stent_loss", "Stent loss", 'dr <a> & "b"', 3, 300)),
        Comparison(Rate("stent_loss", "Stent loss", "dr-c", 1, 10, IntervalMethod.exact)),
    ]
    svg = rates_plot(comparisons, "svg", note="3 of the 310 cases are synthetic & invented")
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert 'Stent loss, dr <a> & "b"' in texts
    assert "1.00% (95% CI 0.34% to 2.90%)" in texts
    assert "10.00% (95% CI 0.25% to 44.50%)" in texts
    assert "Wilson, exact Clopper-Pearson 95% CI" in " ".join(texts)
    assert "synthetic & invented" in (root.findtext(f"{SVG}desc") or "")
    assert rates_plot(comparisons, "png").startswith(b"\x89PNG")
    empty = ET.fromstring(rates_plot([], "svg"))
    assert "No rate to show." in ["".join(t.itertext()) for t in empty.iter(f"{SVG}text")]
