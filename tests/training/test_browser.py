"""Every case played to its debrief in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stentguide.training import get_case
from tests.training.conftest import CASE_IDS, expert_choices, reckless_choices
from tests.web.live import LiveServer

pytestmark = pytest.mark.browser


def play_in_browser(page: Any, server: LiveServer, case_id: str, choices: list[str]) -> None:
    page.goto(f"{server.url}/training")
    page.click(f'a[data-case="{case_id}"]')
    page.fill("#trainee", "browser-fellow")
    page.click("#start-form button[type=submit]")
    for choice in choices:
        page.click(f'button[data-choice="{choice}"]')
    page.wait_for_selector("#score")


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_plays_in_the_browser(
    browser: Any, server: LiveServer, screenshots: Path, case_id: str
) -> None:
    case = get_case(case_id)
    page = browser.new_page()
    try:
        play_in_browser(page, server, case_id, expert_choices(case))
        assert "Score 100 / 100" in page.inner_text("#score")
        play_in_browser(page, server, case_id, reckless_choices(case))
        assert page.locator('#key-messages [data-status="broken"]').count() >= 1
        page.screenshot(path=str(screenshots / f"training-{case_id}-debrief.png"), full_page=True)
    finally:
        page.close()


def test_phone_width_consequence_is_shown(browser: Any, server: LiveServer) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{server.url}/training/cases/partial-loss-calcified-circumflex")
        page.fill("#trainee", "phone-fellow")
        page.click("#start-form button[type=submit]")
        page.click('button[data-choice="hold-wire-confirm"]')
        assert "wire stays through the stent" in page.inner_text("#consequence")
    finally:
        page.close()
