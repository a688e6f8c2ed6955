"""The dashboard's plot is drawn once for the same numbers and again when the data change.

In a module of its own: it adds a case, so it gets a server of its own.
"""

from __future__ import annotations

import re

import httpx

from stentguide.cases.plots import draw_plot
from tests.cases.conftest import make_case
from tests.web_cases.conftest import Live


def _plot(page: httpx.Response) -> str:
    assert page.status_code == 200
    found = re.search(
        r'<figure class="plot" id="rates-plot"[^>]*>\s*(<svg.*?</svg>)', page.text, re.S
    )
    assert found
    return found.group(1)


def test_same_data_same_plot_without_drawing_then_a_new_case_redraws_it(
    live: Live, viewer: httpx.Client
) -> None:
    first = _plot(viewer.get("/quality"))
    drawn = draw_plot.cache_info()
    again = _plot(viewer.get("/quality"))
    assert again == first
    after = draw_plot.cache_info()
    assert after.hits == drawn.hits + 1
    assert after.misses == drawn.misses

    live.registry.cases.add(
        make_case(
            patient_id="P-0003",
            operator="dr-c",
            complications=[{"kind": "stent_loss", "technique": "snare", "success": False}],
        ),
        actor="setup",
    )
    changed = _plot(viewer.get("/quality"))
    assert draw_plot.cache_info().misses == after.misses + 1
    assert changed != first
    total = live.registry.cases.count()
    assert f"{total} cases counted" in changed or f"of the {total} cases" in changed
