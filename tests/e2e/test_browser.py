"""Headless Chromium clicks through the app as a fellow would, at phone and desktop widths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stentguide import DISCLAIMER
from stentguide.protocols import load_protocols
from tests.e2e.conftest import login
from tests.web.live import LiveServer

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 360, "desktop": 1280}


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    login(context, server)
    page = context.new_page()
    yield page
    context.close()


def _shoot(page: Any, screenshots: Path, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(screenshots / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _answer_until_outcome(page: Any) -> int:
    clicks = 0
    while page.locator("text=Printable record").count() == 0:
        for box in page.locator("input[name=ack]").all():
            box.check()
        number = page.locator("#answer-number")
        if number.count():
            number.fill(number.get_attribute("min") or "0")
        with page.expect_navigation():
            page.locator("button.answer").first.click()
        clicks += 1
        assert clicks < 60
    return clicks


@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
def test_each_pathway_runs_to_an_outcome_by_clicking(
    page: Any, server: LiveServer, screenshots: Path, protocol_id: str
) -> None:
    page.goto(server.url + "/")
    assert DISCLAIMER in page.inner_text("body")
    page.click(f"form.situation-form:has(input[value='{protocol_id}']) button")
    page.wait_for_selector("#step-title")
    if protocol_id == "stent-loss-wire-in-place":
        _shoot(page, screenshots, "run-step")
    clicks = _answer_until_outcome(page)
    assert clicks >= 1
    assert page.locator(".fc-current").count() == 1
    if protocol_id == "stent-undeliverable":
        _shoot(page, screenshots, "run-outcome")
    page.click("text=Printable record")
    assert "Outcome" in page.inner_text("main")
    if protocol_id == "stent-undeliverable":
        _shoot(page, screenshots, "run-record")


def test_undo_and_reload_in_the_middle(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/runs/new?protocol=stent-loss-wire-in-place")
    page.click("text=Start: first step")
    first = page.inner_text("#step-title")
    with page.expect_navigation():
        page.locator("button.answer").first.click()
    second = page.inner_text("#step-title")
    assert second != first
    page.reload()
    assert page.inner_text("#step-title") == second
    with page.expect_navigation():
        page.click("button.undo")
    assert page.inner_text("#step-title") == first
    assert "Undone" in page.inner_text(".timeline")
    with page.expect_navigation():
        page.locator("button.answer").first.click()
    assert page.inner_text("#step-title") == second


def test_calculator_flags_a_bad_value_as_you_type(
    page: Any, server: LiveServer, screenshots: Path
) -> None:
    page.goto(server.url + "/scores/j-cto")
    page.fill("#in-occlusion_length_mm", "900")
    page.wait_for_selector("#live-err-occlusion_length_mm:has-text('outside the allowed range')")
    assert page.locator("#result-bar a[data-field=occlusion_length_mm]").count() == 1
    page.click("#calculate")
    page.wait_for_selector(".field-error")
    assert page.locator(".field-error").count() == 5
    for field in ("blunt_stump", "calcification", "bending_over_45_degrees", "retry_lesion"):
        page.click(f"label[for='in-{field}-false']")
    page.fill("#in-occlusion_length_mm", "25")
    page.wait_for_selector("#result-bar.tone-caution")
    assert "1 point: intermediate" in page.inner_text("#result-bar")
    page.click("#calculate")
    page.wait_for_selector("#result h2")
    assert "1 point" in page.inner_text("#result")
    _shoot(page, screenshots, "score-result")


def test_device_fit_check(page: Any, server: LiveServer, screenshots: Path) -> None:
    page.goto(server.url + "/devices")
    page.fill("#fit-guide", "Launcher 6F")
    page.fill("#fit-device-1", "Emerge 1.5x12")
    page.click("text=Check the fit")
    page.wait_for_selector("#fit-result .big")
    assert page.inner_text("#fit-result .big") == "Fits"
    _shoot(page, screenshots, "devices-fit")


def test_keyboard_only_start(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/runs/new?protocol=partial-stent-loss")
    page.focus("#device-guide")
    page.keyboard.type("Launcher 6F")
    page.locator("button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#step-title")
    page.locator("button.answer").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("button.undo")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("home", "/"),
        ("run-new", "/runs/new?protocol=stent-loss-wire-in-place"),
        ("protocols", "/protocols"),
        ("flowchart", "/protocols/stent-undeliverable"),
        ("scores", "/scores"),
        ("leaflets", "/leaflets"),
    ],
)
def test_main_pages_screenshots(
    page: Any, server: LiveServer, screenshots: Path, name: str, path: str
) -> None:
    page.goto(server.url + path)
    assert DISCLAIMER in page.inner_text("body")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    _shoot(page, screenshots, name)
    page.set_viewport_size({"width": 360, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1, overflow
