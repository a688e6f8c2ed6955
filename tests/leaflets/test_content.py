"""Leaflet content: complete translations, sourced claims, no number without a source."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from stentguide.errors import KnowledgeError, UnknownNameError
from stentguide.leaflets import Language, render_html
from stentguide.leaflets.content import load_claims, load_text
from stentguide.references import load_references
from tests.leaflets.plans import ALL_VARIANTS, OPTIONS, variant

LANGUAGES = [lang.value for lang in Language]
_CITE = re.compile(
    r'<sup class="cite">\[[\d, ]+\]</sup>(?: <span class="estimate">\([^)]*\)</span>)?'
)
_QUOTE = re.compile(r"[vc]\('([a-z_]+)'(?:, '([a-z_]+)')?\)")
_TAG = re.compile(r"<[^>]+>")
_PROSE = re.compile(r"<(p|li)\b[^>]*>(.*?)</\1>", re.S)


def _strings(lang: str) -> dict[str, str]:
    return load_text(lang)[0].strings


def test_every_language_has_the_same_keys() -> None:
    english = set(_strings("en"))
    for lang in LANGUAGES:
        assert set(_strings(lang)) == english, lang
        assert set(load_text(lang)[0].names) == set(load_text("en")[0].names)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_no_string_is_left_in_english(lang: str) -> None:
    english = _strings("en")
    untranslated = sorted(k for k, v in _strings(lang).items() if v.strip() == english[k].strip())
    assert untranslated == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_strings_use_the_same_figures_in_every_language(lang: str) -> None:
    """A translation may reword, never change which claims and values it quotes."""
    def quoted(source: str) -> set[str]:
        return {":".join(m) for m in _QUOTE.findall(source)}

    english = _strings("en")
    for key, source in _strings(lang).items():
        assert quoted(source) == quoted(english[key]), key


def test_every_claim_cites_known_sources() -> None:
    refs = load_references()
    for name, claim in load_claims().items():
        assert claim.sources, name
        assert all(key in refs for key in claim.sources), name


def _cited_claims(html: str) -> int:
    return len(_CITE.findall(html))


def test_every_claim_is_used_by_some_leaflet() -> None:
    used: set[str] = set()
    combos = itertools.product(
        LANGUAGES, ["radial", "femoral"], ["drug_eluting", "bare_metal"], [True, False]
    )
    for lang, access, stent, cto in combos:
        for key in _strings(lang).values():
            used.update(re.findall(r"c\('([a-z_]+)'\)", key))
        render_html(variant(lang, access, stent, cto, "clopidogrel"))
    assert set(load_claims()) == used


def test_every_leaflet_reference_is_cited_by_a_claim() -> None:
    import yaml

    from stentguide.knowledge import knowledge_path

    with knowledge_path("references", "leaflets.yaml").open(encoding="utf-8") as fh:
        ours = set(yaml.safe_load(fh))
    cited = {key for claim in load_claims().values() for key in claim.sources}
    assert ours <= cited


def _prose_blocks(html: str) -> list[str]:
    body = html.split('<section class="page references', 1)[0]
    body = re.sub(r'<div class="plan-box">.*?</div>', "", body, flags=re.S)
    body = re.sub(r'<table class="meds">.*?</table>', "", body, flags=re.S)
    return [m.group(2) for m in _PROSE.finditer(body)]


@pytest.mark.parametrize("plan", ALL_VARIANTS[:: len(OPTIONS) // 16 or 1])
def test_every_number_is_followed_by_its_source(plan: dict[str, Any]) -> None:
    html = render_html(plan)
    blocks = _prose_blocks(html)
    assert blocks
    for block in blocks:
        segments = _CITE.split(block)
        # the plan's own specifics (the centre's phone number) are not clinical figures
        tail = _TAG.sub("", re.sub(r'<mark class="plan">.*?</mark>', "", segments[-1]))
        assert not re.search(r"\d", tail), f"uncited number in: {_TAG.sub('', block)!r}"
    assert _cited_claims(html) >= 15


def test_uncertain_claims_are_shown_as_estimates() -> None:
    html = render_html(variant("en", "femoral", "bare_metal", True, "prasugrel"))
    low = [name for name, claim in load_claims().items() if claim.uncertain]
    assert low
    shown_in_this_variant = [name for name in low if name != "bleeding_radial"]
    assert html.count('class="estimate"') == len(shown_in_this_variant)
    assert "(rough estimate)" in html


def test_unknown_language_suggests_known_ones() -> None:
    with pytest.raises(UnknownNameError) as caught:
        load_text("frr")
    assert "fr" in caught.value.suggestions


def test_missing_string_is_an_error() -> None:
    from stentguide.leaflets import parse_plan
    from stentguide.leaflets.render import _Writer

    text, strings = load_text("fr")
    writer = _Writer(parse_plan(variant("fr", "radial", "bare_metal", False, "ticagrelor")), text,
                     strings)
    with pytest.raises(KnowledgeError, match="no fr text for 'nope'"):
        writer.t("nope")
    with pytest.raises(KnowledgeError, match="unknown claim"):
        writer.citations.cite("nope")
