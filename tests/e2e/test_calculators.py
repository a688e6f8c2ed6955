"""The calculators at the bedside: one tap per answer, the result in view, units both ways.

Taps are counted as the clicks and field entries a user makes (typing a number into a
field is one tap on the field). Screenshots at 390x844 (phone) and 1280x800 (desktop)
go to test-output/screenshots for a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stentguide import risk
from tests.risk.cases import NEUTRAL_NUMBERS
from tests.web.live import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SCORES = [s.name for s in risk.list_scores() if s.available]
TINT = {
    "favourable": "rgb(230, 244, 233)",
    "unfavourable": "rgb(253, 232, 232)",
    "caution": "rgb(255, 244, 214)",
}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def _shoot(page: Any, screenshots: Path, name: str) -> None:
    for label, size in (("390x844", PHONE), ("1280x800", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(screenshots / f"{name}-{label}.png"))
    page.set_viewport_size(PHONE)


class Taps:
    """Counts every tap: a click on an answer or button, or a tap into a number field."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def choose(self, field: str, value: str) -> None:
        self.page.click(f"label[for='in-{field}-{value}']")
        self.count += 1

    def type(self, field: str, text: str) -> None:
        self.page.fill(f"#in-{field}", text)
        self.count += 1

    def press(self, selector: str) -> None:
        self.page.click(selector)
        self.count += 1


def _answer_everything(page: Any, taps: Taps) -> None:
    """Answer every visible input of the page in order: No / first level / a neutral number."""
    fields = page.locator("form.calc-form > [data-field]")
    for i in range(fields.count()):
        field = fields.nth(i)
        name = field.get_attribute("data-field")
        if "seg-field" in (field.get_attribute("class") or ""):
            no = field.locator("input[value=false]")
            value = "false" if no.count() else field.locator("input").first.get_attribute("value")
            taps.choose(name, value)
        else:
            taps.type(name, str(NEUTRAL_NUMBERS[name]))


def _result_bar_in_view(page: Any) -> dict[str, float]:
    page.wait_for_selector("#result-bar:not(.pending)")
    box = page.locator("#result-bar").bounding_box()
    assert box is not None
    viewport = page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 0.5, box
    return box


@pytest.mark.parametrize("name", SCORES)
def test_result_is_in_view_after_the_last_answer_without_calculate(
    phone: Any, server: LiveServer, name: str
) -> None:
    phone.goto(f"{server.url}/scores/{name}")
    top_level = phone.locator("form.calc-form > .seg-field").count()
    assert phone.locator(".unanswered:visible").count() == top_level
    _answer_everything(phone, Taps(phone))
    _result_bar_in_view(phone)
    assert phone.locator(".unanswered:visible").count() == 0
    assert phone.url.endswith(f"/scores/{name}")  # no page load: Calculate was not tapped


def test_arc_hbr_takes_at_most_17_taps(phone: Any, server: LiveServer, screenshots: Path) -> None:
    phone.goto(f"{server.url}/scores/arc-hbr")
    taps = Taps(phone)
    taps.type("age_years", "78")
    taps.choose("sex", "female")
    taps.choose("long_term_oral_anticoagulation", "false")
    taps.type("egfr_ml_min_1_73m2", "45")
    taps.type("haemoglobin_g_dl", "12.5")
    taps.choose("spontaneous_bleeding", "none")
    taps.type("platelets_10e9_l", "210")
    for field in (
        "chronic_bleeding_diathesis",
        "cirrhosis_with_portal_hypertension",
        "active_malignancy",
        "previous_spontaneous_ich",
        "traumatic_ich_past_12_months",
        "brain_avm",
    ):
        taps.choose(field, "false")
    taps.choose("ischaemic_stroke", "none")
    taps.choose("nondeferrable_major_surgery_on_dapt", "false")
    taps.choose("recent_major_surgery_or_trauma", "false")
    taps.choose("long_term_nsaid_or_steroid", "false")
    _result_bar_in_view(phone)
    assert taps.count == 17
    bar = phone.inner_text("#result-bar")
    assert "High bleeding risk (0 major, 2 minor criteria met)" in bar
    assert phone.get_attribute("#result-bar", "data-tone") == "unfavourable"
    _shoot(phone, screenshots, "calculator-arc-hbr")


def test_arc_hbr_with_the_unanswered_no_button(phone: Any, server: LiveServer) -> None:
    phone.goto(f"{server.url}/scores/arc-hbr")
    taps = Taps(phone)
    taps.type("age_years", "60")
    taps.choose("sex", "male")
    taps.type("egfr_ml_min_1_73m2", "80")
    taps.type("haemoglobin_g_dl", "14")
    taps.choose("spontaneous_bleeding", "none")
    taps.type("platelets_10e9_l", "210")
    taps.choose("ischaemic_stroke", "none")
    taps.choose("brain_avm", "true")
    assert phone.locator(".unanswered:visible").count() > 0
    taps.press("#rest-no")
    _result_bar_in_view(phone)
    assert taps.count <= 9
    assert phone.locator(".unanswered:visible").count() == 0
    assert phone.is_checked("#in-brain_avm-true")  # an answer given is never overwritten
    assert "High bleeding risk (1 major, 0 minor" in phone.inner_text("#result-bar")


def test_units_convert_both_ways(phone: Any, server: LiveServer, screenshots: Path) -> None:
    phone.goto(f"{server.url}/scores/egfr-ckd-epi-2021")
    taps = Taps(phone)
    taps.type("age_years", "60")
    taps.choose("sex", "male")
    taps.type("serum_creatinine_mg_dl", "2")
    phone.wait_for_selector("#result-bar:not(.pending)")
    in_mg = phone.inner_text("#result-bar .bar-main")
    phone.click("label[for='in-serum_creatinine_mg_dl-unit-2']")  # µmol/L
    assert phone.input_value("#in-serum_creatinine_mg_dl") == "176.8"
    phone.wait_for_timeout(600)
    assert phone.inner_text("#result-bar .bar-main") == in_mg
    phone.click("label[for='in-serum_creatinine_mg_dl-unit-1']")  # back to mg/dL
    assert phone.input_value("#in-serum_creatinine_mg_dl") == "2"

    phone.goto(f"{server.url}/scores/precise-dapt")
    phone.fill("#in-haemoglobin_g_dl", "11")
    phone.click("label[for='in-haemoglobin_g_dl-unit-2']")  # g/L
    assert phone.input_value("#in-haemoglobin_g_dl") == "110"
    phone.click("label[for='in-haemoglobin_g_dl-unit-3']")  # mmol/L
    assert phone.input_value("#in-haemoglobin_g_dl") == "6.827"
    phone.click("label[for='in-haemoglobin_g_dl-unit-1']")  # g/dL
    assert phone.input_value("#in-haemoglobin_g_dl") == "11"
    # A computed creatinine clearance, with creatinine in µmol/L.
    phone.fill("#in-haemoglobin_g_dl", "110")
    phone.click("label[for='in-haemoglobin_g_dl-unit-2']")
    phone.fill("#in-haemoglobin_g_dl", "110")
    phone.fill("#in-age_years", "70")
    phone.fill("#in-wbc_10e9_l", "8")
    phone.click("label[for='in-prior_spontaneous_bleeding-false']")
    phone.click("#compute-creatinine_clearance_ml_min summary")
    phone.fill("#in-weight_kg", "70")
    phone.click("label[for='in-serum_creatinine_mg_dl-unit-2']")
    phone.fill("#in-serum_creatinine_mg_dl", "100")
    phone.click("label[for='in-sex-male']")
    phone.wait_for_selector("#result-bar:not(.pending)")
    core = risk.score(
        "precise-dapt",
        {
            "age_years": 70,
            "haemoglobin_g_l": 110,
            "wbc_10e9_l": 8,
            "prior_spontaneous_bleeding": False,
            "weight_kg": 70,
            "serum_creatinine_umol_l": 100,
            "sex": "male",
        },
    )
    assert phone.inner_text("#result-bar .bar-main") == core.summary
    assert "computed by cockcroft-gault" in phone.inner_text("#result")
    _shoot(phone, screenshots, "calculator-precise-dapt-units")


@pytest.mark.parametrize(
    ("contrast", "tone"), [("50", "favourable"), ("900", "caution"), ("1900", "unfavourable")]
)
def test_result_colour_follows_the_category(
    phone: Any, server: LiveServer, screenshots: Path, contrast: str, tone: str
) -> None:
    phone.goto(f"{server.url}/scores/mehran")
    taps = Taps(phone)
    for field in ("hypotension", "iabp", "chf", "diabetes"):
        taps.choose(field, "false")
    taps.type("age_years", "60")
    taps.choose("sex", "male")
    taps.type("haematocrit_percent", "42")
    taps.type("egfr_ml_min_1_73m2", "90")
    taps.type("contrast_volume_ml", contrast)
    phone.wait_for_selector(f"#result-bar.tone-{tone}")
    colour = phone.eval_on_selector("#result-bar", "e => getComputedStyle(e).backgroundColor")
    assert colour == TINT[tone]
    expected = risk.score(
        "mehran",
        {
            "hypotension": False,
            "iabp": False,
            "chf": False,
            "diabetes": False,
            "age_years": 60,
            "sex": "male",
            "haematocrit_percent": 42,
            "egfr_ml_min_1_73m2": 90,
            "contrast_volume_ml": float(contrast),
        },
    )
    assert expected.tone == tone
    assert phone.inner_text("#result-bar .bar-main") == expected.summary
    if tone == "unfavourable":
        _shoot(phone, screenshots, "calculator-mehran-high")


def test_cto_panel_fills_every_score_from_shared_answers(
    phone: Any, server: LiveServer, screenshots: Path
) -> None:
    phone.goto(f"{server.url}/scores/panel/cto")
    answers = {
        "age_years": "70",
        "weight_kg": "80",
        "serum_creatinine_mg_dl": "1.4",
        "contrast_volume_ml": "250",
        "occlusion_length_mm": "25",
        "lesion_length_mm": "25",
        "haematocrit_percent": "40",
    }
    for field, value in answers.items():
        phone.fill(f"#panel-{field}", value)
    phone.click("label[for='panel-sex-male']")
    phone.click("label[for='panel-blunt_stump-true']")
    phone.click("label[for='panel-retrograde_strategy-true']")
    phone.click("[data-rest-no]")
    phone.wait_for_selector("#entry-mehran:not(.pending)")
    for entry in (
        "j-cto",
        "progress-cto",
        "progress-cto-complications",
        "progress-cto-mace",
        "progress-cto-perforation",
        "cockcroft-gault",
        "egfr-ckd-epi-2021",
        "cigarroa-contrast-limit",
        "contrast-clearance-ratio",
        "mehran",
    ):
        assert phone.get_attribute(f"#entry-{entry}", "data-tone") != "pending", entry
    assert "No probability of success" in phone.inner_text("#entry-progress-cto")
    assert "computed by cockcroft-gault" in phone.inner_text("#entry-contrast-clearance-ratio")
    _shoot(phone, screenshots, "calculator-cto-panel")


def test_desktop_shows_the_result_beside_the_form(
    browser: Any, server: LiveServer, screenshots: Path
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/scores/j-cto")
        taps = Taps(page)
        for field in ("blunt_stump", "calcification"):
            taps.choose(field, "true")
        taps.choose("bending_over_45_degrees", "false")
        taps.choose("retry_lesion", "false")
        taps.type("occlusion_length_mm", "25")
        _result_bar_in_view(page)
        assert "3 points: very difficult" in page.inner_text("#result-bar")
        assert page.locator("#result h2").is_visible()
        page.screenshot(path=str(screenshots / "calculator-j-cto-1280x800.png"))
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(screenshots / "calculator-j-cto-390x844.png"))
    finally:
        context.close()
