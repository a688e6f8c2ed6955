"""Headless Chromium: log in with the demo account, read the dashboard, add a case, fix a field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web_cases.conftest import Live, serve

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 360, "desktop": 1280}
Shoot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def demo_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = tmp_path_factory.mktemp("web_cases_browser") / "demo.sqlite"
    with serve(f"sqlite:///{db}", demo=True, seed=False) as live:
        yield live


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def shoot(screenshots: Path) -> Shoot:
    def take(page: Any, name: str) -> None:
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{name} scrolls sideways at {width} px ({overflow} px)"
            page.screenshot(path=str(screenshots / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    return take


def test_log_in_with_the_demo_account_shown_on_the_login_page(
    page: Any, demo_live: Live, shoot: Shoot
) -> None:
    page.goto(demo_live.url + "/quality")
    assert "/login?next=" in page.url
    demo = page.inner_text("#demo-login")
    assert "synthetic data only" in demo
    password = re.search(r"with the password (\S+)", demo)
    assert password
    shoot(page, "registry-login")
    page.fill("#in-username", "demo-admin")
    page.fill("#in-password", "wrong password entirely")
    page.click("button:has-text('Log in')")
    assert "Wrong username or password" in page.inner_text("#login-error")
    page.fill("#in-username", "demo-admin")
    page.fill("#in-password", password.group(1))
    with page.expect_navigation():
        page.click("button:has-text('Log in')")
    assert page.url.endswith("/quality")


def test_the_dashboard_shows_rates_plot_and_the_synthetic_label(page: Any, shoot: Shoot) -> None:
    assert page.locator("#rates-plot svg").is_visible()
    assert "invented" in page.inner_text("#synthetic-note")
    stent_loss = page.inner_text("#rate-stent_loss")
    assert "0.32%" in stent_loss
    assert "BRIL05" in stent_loss
    shoot(page, "registry-dashboard")


def test_the_case_list_labels_synthetic_cases(page: Any, demo_live: Live, shoot: Shoot) -> None:
    page.goto(demo_live.url + "/cases")
    assert page.locator("#synthetic-note").is_visible()
    assert page.locator("#cases .badge.synthetic").count() > 0
    shoot(page, "registry-cases")


def test_add_a_case_with_a_bad_field_see_the_message_then_fix_it(
    page: Any, demo_live: Live, shoot: Shoot
) -> None:
    page.click("a:has-text('Add a case')")
    page.fill("#in-patient_id", "Jane Doe")
    page.fill("#in-procedure_date", "2024-09-14")
    page.fill("#in-operator", "dr-browser")
    page.select_option("#in-access", "radial")
    page.select_option("#in-lesion-0-vessel", "LAD")
    page.select_option("#in-lesion-0-calcified", "yes")
    page.fill("#in-devices", "guide: 6F EBU 3.5\nstent: DES 2.75 x 28")
    page.select_option("#in-complication-0-kind", "delivery_failure")
    with page.expect_navigation():
        page.click("button:has-text('Save case')")
    message = page.inner_text("#err-patient_id")
    assert "never the patient's name" in message
    assert page.get_attribute("#in-patient_id", "aria-invalid") == "true"
    assert page.input_value("#in-operator") == "dr-browser"
    shoot(page, "registry-case-form-error")
    page.click("#form-problems a[href='#in-patient_id']")
    page.fill("#in-patient_id", "PT-7781")
    with page.expect_navigation():
        page.click("button:has-text('Save case')")
    assert page.locator("#saved").is_visible()
    assert "PT-7781" in page.inner_text("h1")
    assert "demo-admin" in page.inner_text("#audit")
    assert page.locator("#synthetic-note").count() == 0
    shoot(page, "registry-case")
    page.click("a:has-text('Edit')")
    shoot(page, "registry-case-edit")


def test_log_out(page: Any, demo_live: Live, shoot: Shoot) -> None:
    page.goto(demo_live.url + "/account")
    shoot(page, "registry-account")
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    assert page.locator("#logged-out").is_visible()
    page.goto(demo_live.url + "/cases")
    assert "/login" in page.url
