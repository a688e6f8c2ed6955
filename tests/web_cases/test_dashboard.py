"""The quality dashboard: the core's rates and intervals beside the published figures."""

from __future__ import annotations

import re

import httpx

from stentguide.cases import CaseFilter
from stentguide.cases.analytics import registry_rates
from stentguide.cases.literature import load_literature
from tests.web_cases.conftest import DEMO_COUNT, Live


def _row(page: str, metric: str) -> str:
    found = re.search(rf'<tr id="rate-{metric}">(.*?)</tr>', page, re.S)
    assert found, metric
    return found.group(1)


def test_each_rate_shows_the_registry_count_and_its_wilson_interval(
    live: Live, viewer: httpx.Client
) -> None:
    page = viewer.get("/quality")
    assert page.status_code == 200
    for rate in registry_rates(live.registry):
        if rate.metric not in ("stent_loss", "delivery_failure", "emergency_surgery"):
            continue
        row = _row(page.text, rate.metric)
        assert f"{rate.events} / {rate.total}" in row
        assert rate.ci_percent is not None
        low, high = rate.ci_percent
        assert f"{low:.2f}% to {high:.2f}%" in row


def test_published_figures_stand_beside_with_sources_and_confidence(
    viewer: httpx.Client,
) -> None:
    page = viewer.get("/quality").text
    row = _row(page, "stent_loss")
    assert "0.32%" in row
    assert "BRIL05" in row
    assert "confidence" in row
    literature = load_literature()
    for figure in literature["delivery_failure"].figures:
        for key in figure.sources:
            assert key in _row(page, "delivery_failure")
    assert 'id="sources-title"' in page
    assert "no published figure" in _row(page, "retrieval_success-snare")


def test_plot_is_inline_svg(viewer: httpx.Client) -> None:
    page = viewer.get("/quality").text
    figure = re.search(r'<figure class="plot" id="rates-plot"[^>]*>\s*(<svg.*?</svg>)', page, re.S)
    assert figure
    assert "<?xml" not in page


def test_rates_by_year_and_operator(live: Live, viewer: httpx.Client) -> None:
    page = viewer.get("/quality").text
    assert '<th scope="row">2024</th>' in page
    assert '<th scope="row">dr-b</th>' in page
    by_operator = re.search(r'id="rates-by-operator".*?</table>', page, re.S)
    assert by_operator
    assert "operator-1" in by_operator.group(0)


def test_filtering_the_dashboard_and_the_synthetic_label(
    live: Live, viewer: httpx.Client
) -> None:
    everything = viewer.get("/quality").text
    assert 'id="synthetic-note"' in everything
    assert f"{DEMO_COUNT} of the" in everything
    real = viewer.get("/quality", params={"operator": "dr-b"}).text
    assert 'id="synthetic-note"' not in real
    total = live.registry.cases.count(CaseFilter(operator="dr-b"))
    assert f"<strong>{total}</strong> case" in real
    assert "1 / 1" in _row(real, "retrieval_success-snare")


def test_no_matching_cases_and_bad_filters(viewer: httpx.Client) -> None:
    empty = viewer.get("/quality", params={"operator": "nobody"})
    assert empty.status_code == 200
    assert 'id="no-cases"' in empty.text
    bad = viewer.get("/quality", params={"until": "31/12/2024"})
    assert bad.status_code == 422
    assert 'id="err-until"' in bad.text
