"""The dashboard's plot: well-formed SVG naming every rate and its interval, redrawn on a change.

In a module of its own: it adds a case, so it gets a server of its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import httpx

from stentguide.cases.analytics import compare, registry_rates
from stentguide.cases.plots import plot_rows
from tests.cases.conftest import make_case
from tests.web_cases.conftest import Live

SVG = "{http://www.w3.org/2000/svg}"


def _plot(page: httpx.Response) -> str:
    assert page.status_code == 200
    found = re.search(
        r'<figure class="plot" id="rates-plot"[^>]*>\s*(<svg.*</svg>)\s*</figure>', page.text, re.S
    )
    assert found
    return found.group(1)


def _texts(svg: str) -> tuple[ET.Element, str, list[str]]:
    """The parsed image (it must be well-formed XML), its description and its visible text."""
    root = ET.fromstring(svg)
    description = root.findtext(f"{SVG}desc")
    assert description
    return root, description, ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_the_plot_is_accessible_svg_naming_every_rate_and_its_interval(
    live: Live, viewer: httpx.Client
) -> None:
    root, description, texts = _texts(_plot(viewer.get("/quality")))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "rates-plot-title rates-plot-desc"
    assert root.findtext(f"{SVG}title") == "Complication rates beside the published figures"
    rows = plot_rows(compare(registry_rates(live.registry)))
    assert {"Stent loss", "Failure to deliver a stent"} <= {row.label for row in rows}
    for row in rows:
        numbers = f"{row.value:.2f}% (95% CI {row.low:.2f}% to {row.high:.2f}%)"
        assert row.label in texts and numbers in texts, row.label
        assert f"{row.label}: {numbers}" in description
    # the synthetic cases are named on the image itself, and the axis is labelled
    assert "synthetic demonstration data" in " ".join(texts)
    assert "percent (symmetric log scale)" in texts


def test_same_data_same_plot_then_a_new_case_changes_it(
    live: Live, viewer: httpx.Client
) -> None:
    first = _plot(viewer.get("/quality"))
    assert _plot(viewer.get("/quality")) == first

    live.registry.cases.add(
        make_case(
            patient_id="P-0003",
            operator="dr-c",
            complications=[{"kind": "stent_loss", "technique": "snare", "success": False}],
        ),
        actor="setup",
    )
    changed = _plot(viewer.get("/quality"))
    assert changed != first
    _, description, _ = _texts(changed)
    total = live.registry.cases.count()
    assert f"of the {total} cases" in description
    stent_loss = next(r for r in registry_rates(live.registry) if r.metric == "stent_loss")
    assert f"Stent loss: {stent_loss.percent:.2f}%" in description
