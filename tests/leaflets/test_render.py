"""Rendering: every combination in both languages, readable, dated, paginated."""

from __future__ import annotations

import datetime as dt
import gc
import io
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from stentguide import leaflets
from stentguide.errors import InputError
from stentguide.leaflets import (
    LEAFLET_PAGES,
    add_months,
    leaflet_text,
    plan_specifics,
    readability,
    render_html,
    render_pdf,
)
from stentguide.leaflets.content import load_text
from tests.leaflets.plans import ALL_VARIANTS, BASE_PLAN, variant


def test_public_api_is_exactly_all() -> None:
    public = {name for name in dir(leaflets) if not name.startswith("_")}
    modules = {"annotations", "content", "plan", "reading_level", "render", "schedule"}
    assert public - modules == set(leaflets.__all__)


@pytest.mark.parametrize("plan", ALL_VARIANTS)
def test_every_variant_renders_readably(plan: dict[str, Any]) -> None:
    html = render_html(plan)
    assert f'<html lang="{plan["language"]}">' in html
    for specific in plan_specifics(plan):
        assert str(specific) in html
    score = readability(leaflet_text(html), plan["language"])
    assert score.within_band, score.describe()


@pytest.mark.parametrize("plan", ALL_VARIANTS)
def test_french_leaflet_has_no_english_sentence(plan: dict[str, Any]) -> None:
    if plan["language"] != "fr":
        return
    html = render_html(plan)
    english = load_text("en")[0].strings
    static = [s for s in english.values() if "{" not in s and len(s) > 12]
    assert static
    assert [s for s in static if s in html] == []


def _stop_dates_in(html: str) -> list[str]:
    return re.findall(r'<td class="stop-date"><mark class="plan">([^<]+)</mark>', html)


@pytest.mark.parametrize(
    ("lang", "date", "months", "expected"),
    [
        ("en", "2025-01-31", 1, "28 February 2025"),
        ("en", "2024-01-31", 1, "29 February 2024"),
        ("en", "2025-12-31", 1, "31 January 2026"),
        ("en", "2025-08-31", 6, "28 February 2026"),
        ("fr", "2025-01-31", 1, "28 février 2025"),
        ("fr", "2025-12-15", 12, "15 décembre 2026"),
        ("fr", "2025-10-31", 4, "28 février 2026"),
    ],
)
def test_stop_date_across_month_and_year_ends(
    lang: str, date: str, months: int, expected: str
) -> None:
    html = render_html(
        {**BASE_PLAN, "language": lang, "procedure_date": date, "antiplatelet_months": months}
    )
    assert _stop_dates_in(html) == [expected]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lang=st.sampled_from(["en", "fr"]),
    date=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2098, 12, 31)),
    months=st.integers(1, 12),
    name=st.one_of(st.none(), st.sampled_from(["Zoé", "O'Neil", "Jean Paul", "<b>"])),
)
def test_any_valid_plan_renders_its_own_dates(
    lang: str, date: dt.date, months: int, name: str | None
) -> None:
    plan = {
        **BASE_PLAN,
        "language": lang,
        "procedure_date": date.isoformat(),
        "antiplatelet_months": months,
        "patient_first_name": name,
    }
    if name == "<b>":
        with pytest.raises(InputError):
            render_html(plan)
        return
    html = render_html(plan)
    stop = add_months(date, months)
    assert len(_stop_dates_in(html)) == 1
    assert str(stop.year) in _stop_dates_in(html)[0]


def test_name_is_escaped_and_optional() -> None:
    html = render_html({**BASE_PLAN, "patient_first_name": None})
    assert "This leaflet is for you." in html
    html = render_html({**BASE_PLAN, "patient_first_name": "O'Neil"})
    assert "O&#39;Neil" in html


def test_invalid_plan_names_fields() -> None:
    with pytest.raises(InputError) as caught:
        render_html({**BASE_PLAN, "access": "", "antiplatelet_months": 24})
    assert set(caught.value.problems) == {"access", "antiplatelet_months"}


def test_references_section_lists_cited_sources_in_order() -> None:
    html = render_html(variant("fr", "femoral", "bare_metal", True, "ticagrelor"))
    refs = html.split('<section class="page references', 1)[1]
    numbers = [int(n) for n in re.findall(r'<li value="(\d+)">', refs)]
    assert numbers == list(range(1, len(numbers) + 1))
    cited = {
        int(n)
        for group in re.findall(r'class="cite">\[([\d, ]+)\]', html)
        for n in group.split(", ")
    }
    assert cited == set(numbers)
    assert "doi:10.1136/openhrt-2022-002076" in refs


PDF_VARIANTS = [
    variant("en", "radial", "drug_eluting", False, "clopidogrel"),
    variant("en", "femoral", "bare_metal", True, "prasugrel", patient_first_name=None),
    variant("fr", "femoral", "bare_metal", True, "ticagrelor", procedure_date="2025-08-31"),
    variant("fr", "radial", "drug_eluting", False, "clopidogrel", antiplatelet_months=1),
]


@pytest.mark.parametrize("plan", PDF_VARIANTS, ids=lambda p: f"{p['language']}-{p['access']}")
def test_pdf_pages_and_text(plan: dict[str, Any]) -> None:
    pdf = render_pdf(plan)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == LEAFLET_PAGES
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    flat = text.replace("\u202f", " ").replace("\u00a0", " ")
    for specific in plan_specifics(plan):
        words = " ".join(str(specific).split())
        assert words in flat, words
    footer = load_text(plan["language"])[0].strings["footer"]
    assert footer in flat


def test_pdf_is_tagged_for_screen_readers() -> None:
    """PDF/UA-1: a structure tree, marked content, the language and the title."""
    reader = PdfReader(
        io.BytesIO(render_pdf(variant("fr", "femoral", "bare_metal", True, "prasugrel")))
    )
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert str(root["/Lang"]).startswith("fr")
    assert reader.metadata is not None and reader.metadata.title == "Votre stent coronaire"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


@pytest.mark.parametrize(
    ("lang", "name", "greeting"),
    [
        ("en", None, "This leaflet is for you."),
        ("en", "Anne-Marie", "This leaflet is for Anne-Marie."),
        ("fr", "Jeanne", "Ce document est destiné à Jeanne."),
    ],
)
def test_pdf_greeting_is_one_line_with_no_space_before_the_stop(
    lang: str, name: str | None, greeting: str
) -> None:
    plan = {
        **variant(lang, "radial", "drug_eluting", False, "clopidogrel"),
        "patient_first_name": name,
    }
    page_one = PdfReader(io.BytesIO(render_pdf(plan))).pages[0].extract_text()
    lines = [" ".join(line.split()) for line in page_one.splitlines()]
    assert greeting in lines
    assert not re.search(r"\w \.", page_one)
    help_heading = "When to call for help" if lang == "en" else "Quand demander de l'aide"
    assert help_heading in page_one and "+33 1 23 45 67 89" in page_one


def test_pdf_leaves_garbage_collection_on_and_no_cycles_behind() -> None:
    plan = variant("en", "radial", "drug_eluting", False, "clopidogrel")
    render_pdf(plan)
    gc.collect()
    assert gc.isenabled()
    render_pdf(plan)
    assert gc.isenabled()
    assert gc.collect() < 1000  # not the layout's thousands of cycles: already freed


def test_pdf_streams_are_compressed() -> None:
    pdf = render_pdf(variant("fr", "femoral", "bare_metal", True, "ticagrelor"))
    assert b"/FlateDecode" in pdf
    assert len(pdf) < 60_000  # about 39 kB; uncompressed it would be over 200 kB
