"""Render a leaflet plan to printable HTML (A4) and to PDF.

Both functions are pure: the same plan gives the same document, and nothing is
read from or written to disk beyond the package's own data. The HTML is the
single source; the PDF is that HTML laid out by WeasyPrint with local fonts and
a URL fetcher that refuses anything but ``data:`` and ``file:`` URLs, so
rendering never touches the network. A few rules of the PDF's own
(:data:`_PDF_RULES`) spare WeasyPrint measuring text without changing the layout.

Every figure in the text comes from ``claims.yaml`` through ``v()`` and is
followed by ``c()``, the citation mark that numbers its sources in order of
first use; the references section at the end lists them. A claim marked
``confidence: low`` is shown as a rough estimate wherever it is cited.

WeasyPrint's set-up is done once per process: one font configuration (the
fontconfig and Pango font map, whose fonts and glyph metrics are then kept)
and the leaflet's stylesheet, parsed once, serve every PDF, and
:func:`warm_up` pays the first PDF's cost (imports, font loading, the
user-agent stylesheet) ahead of the first request; the web server calls it in
the background when it starts. The shared font map is not
thread-safe, so PDFs are laid out one at a time per process.

Laying out a PDF makes tens of thousands of short-lived objects; the cyclic garbage
collector is paused meanwhile (:mod:`stentguide.cyclic_gc`), so that it does not
walk them again and again while they are still in use, and the reference cycles
they leave are freed in one pass when the PDF is written.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import importlib
import re
import threading
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from stentguide.cyclic_gc import cyclic_gc_paused
from stentguide.errors import KnowledgeError
from stentguide.knowledge import knowledge_path
from stentguide.leaflets.content import Claim, LeafletText, load_claims, load_text
from stentguide.leaflets.plan import (
    MAX_ANTIPLATELET_MONTHS,
    Access,
    Language,
    LeafletPlan,
    SecondAntiplatelet,
    StentType,
    parse_plan,
)
from stentguide.leaflets.schedule import MedicineCourse, antiplatelet_schedule
from stentguide.references import Reference, reference

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

__all__ = ["LEAFLET_PAGES", "plan_specifics", "render_html", "render_pdf", "warm_up"]

LEAFLET_PAGES = 4
"""Every leaflet prints on four A4 pages: plan and procedure, risks, medicines, sources."""


class _Citations:
    """Numbers sources in order of first citation and remembers the claims used."""

    def __init__(self, claims: dict[str, Claim], rough_estimate: str) -> None:
        self._claims = claims
        self._rough = rough_estimate
        self.keys: list[str] = []
        self.claims_used: list[str] = []

    def claim(self, name: str) -> Claim:
        try:
            return self._claims[name]
        except KeyError:
            raise KnowledgeError(f"leaflet text cites unknown claim {name!r}") from None

    def cite(self, name: str) -> Markup:
        claim = self.claim(name)
        if name not in self.claims_used:
            self.claims_used.append(name)
        numbers = []
        for key in claim.sources:
            if key not in self.keys:
                self.keys.append(key)
            numbers.append(str(self.keys.index(key) + 1))
        mark = Markup('<sup class="cite">[{}]</sup>').format(", ".join(numbers))
        if claim.uncertain:
            mark += Markup(' <span class="estimate">({})</span>').format(self._rough)
        return mark

    def references(self) -> list[tuple[int, Reference]]:
        return [(i, reference(key)) for i, key in enumerate(self.keys, start=1)]


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(knowledge_path("leaflets"))),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = _css_string
    return env


def _css_string(value: str) -> Markup:
    """A CSS string literal (quoted) safe inside a ``<style>`` element."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    return Markup(f'"{escaped}"')


def _citation(ref: Reference) -> str:
    """Authors. Title. Venue, year. Locator. (no doubled full stops)."""
    locator = f"doi:{ref.doi}" if ref.doi else (f"PMID {ref.pmid}" if ref.pmid else ref.url)
    venue = f"{ref.venue}, {ref.year}" if ref.year else ref.venue
    parts = [ref.authors, ref.title, venue, locator or ""]
    return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts if p)


def _highlight(value: object) -> Markup:
    return Markup('<mark class="plan">{}</mark>').format(value)


class _Writer:
    """Renders the language strings with the plan, the claims and the citations."""

    def __init__(self, plan: LeafletPlan, text: LeafletText, strings: dict[str, Template]):
        self.plan = plan
        self.text = text
        self._strings = strings
        self.citations = _Citations(load_claims(), text.strings.get("rough_estimate", ""))

    def date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.text.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.text.locale)

    def value(self, claim: str, name: str) -> str:
        values = self.citations.claim(claim).values
        if name not in values:
            raise KnowledgeError(f"claim {claim!r} has no value {name!r}")
        return self.number(values[name])

    def t(self, key: str, **extra: Any) -> Markup:
        try:
            template = self._strings[key]
        except KeyError:
            raise KnowledgeError(
                f"no {self.text.language.value} text for {key!r} (leaflets/text/"
                f"{self.text.language.value}.yaml)"
            ) from None
        helpers: dict[str, Callable[..., Any]] = {
            "v": self.value,
            "c": self.citations.cite,
            "hl": _highlight,
            "d": self.date,
        }
        return Markup(template.render(**helpers, **extra))

    def months(self, n: int) -> Markup:
        return self.t("meds_months_one" if n == 1 else "meds_months_other", n=n)

    def medicine(self, course: MedicineCourse) -> str:
        return self.text.names[course.medicine]


def _access_phrase(writer: _Writer) -> Markup:
    return writer.t(f"plan_access_{writer.plan.access.value}")


def render_html(plan: LeafletPlan | dict[str, Any]) -> str:
    """The leaflet for ``plan`` as one self-contained, printable HTML page (A4).

    ``plan`` may be a :class:`LeafletPlan` or a mapping, which is validated first
    (:class:`~stentguide.errors.InputError` naming every bad field).
    """
    checked = parse_plan(plan)
    text, strings = load_text(checked.language.value)
    writer = _Writer(checked, text, strings)
    before, _, rest = text.strings["page_counter"].partition("{page}")
    between, _, after = rest.partition("{pages}")
    template = _environment().get_template("leaflet.html")
    return template.render(
        plan=checked,
        lang=checked.language.value,
        t=writer.t,
        d=writer.date,
        months=writer.months,
        medicine=writer.medicine,
        access=_access_phrase(writer),
        schedule=antiplatelet_schedule(checked),
        references=writer.citations.references,
        citation=_citation,
        page_counter=(before, between, after),
        escape=escape,
    )


def plan_specifics(plan: LeafletPlan | dict[str, Any]) -> list[str]:
    """The plan's specifics as the leaflet prints them (name, dates, route, medicine).

    The web preview highlights these, and the tests look for each of them in the
    text extracted from the PDF.
    """
    checked = parse_plan(plan)
    text, strings = load_text(checked.language.value)
    writer = _Writer(checked, text, strings)
    aspirin, second = antiplatelet_schedule(checked)
    found = [
        writer.date(checked.procedure_date),
        str(_access_phrase(writer)),
        writer.medicine(aspirin),
        writer.medicine(second),
        str(writer.months(checked.antiplatelet_months)),
    ]
    if second.stop_date is not None:
        found.append(writer.date(second.stop_date))
    if checked.patient_first_name:
        found.append(checked.patient_first_name)
    return found


PDF_VARIANT = "pdf/ua-1"
"""The WeasyPrint PDF variant: PDF/UA-1, a tagged PDF for screen readers."""


PDF_DEFLATE_LEVEL = 6
"""The zlib level of the PDF's compressed streams (page contents, fonts, structure).

pydyf, WeasyPrint's PDF writer, compresses every stream at level 9 and has no setting
for it. On a leaflet, whose text-drawing streams are repetitive enough for level 9 to
search long, level 6 (zlib's default) costs about 5 % less time for a file about 2 %
bigger (39.0 against 38.1 kB in French).
"""


class _Deflate:
    """The ``zlib`` module as pydyf sees it: streams compressed at :data:`PDF_DEFLATE_LEVEL`."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(PDF_DEFLATE_LEVEL, *args, **kwargs)


@functools.cache
def _deflate_at_chosen_level() -> None:
    """Give pydyf :class:`_Deflate` for ``zlib`` (once; only if it uses zlib itself)."""
    pydyf = importlib.import_module("pydyf")
    if getattr(pydyf, "zlib", None) is zlib:
        setattr(pydyf, "zlib", _Deflate())  # noqa: B010 (pydyf is untyped)


_LAYOUT_LOCK = threading.Lock()
"""One PDF at a time per process: the shared font configuration is not thread-safe."""


@functools.cache
def _font_config() -> FontConfiguration:
    """The process's one font configuration (fontconfig, the Pango font map, its caches)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
"""The leaflet's one style block: inline for the HTML leaflet, parsed once for PDFs."""


@functools.lru_cache(maxsize=4)
def _stylesheet(text: str) -> CSS:
    """The leaflet's stylesheet parsed once per process (keyed by its text)."""
    from weasyprint import CSS

    return CSS(string=text, base_url=str(knowledge_path("leaflets")), font_config=_font_config())


_PDF_RULES = """
@page { @bottom-left { width: 75%; } @bottom-right { width: 25%; } }
.plan-box table { table-layout: fixed; }
.plan-box th { box-sizing: border-box; }
.references li { overflow-wrap: break-word; }
"""
"""Rules for the PDF only, after the leaflet's own: the same layout, found with less work.

Without them WeasyPrint measures the narrowest and widest the text of each footer box
could be on every page, of each plan table cell, and of each reference's number
(which inherits the costly ``overflow-wrap: anywhere``), some 150 extra text layouts
per leaflet. With set footer widths (the longer footer, in French, takes 105 of the
132 mm of the left box), a fixed table layout (the first column's 45 %
then counting its padding, as the automatic layout did) and ``break-word`` (which
lays out lines as ``anywhere`` does, and differs only in such measuring), the pages
are the same to the point. Browsers lay tables out differently, so the HTML leaflet
keeps its own rules.
"""


@functools.cache
def _pdf_rules() -> CSS:
    return _stylesheet(_PDF_RULES)


def _write_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    style = _STYLE.search(html)
    stylesheets = [_stylesheet(style.group(1))] if style else []
    stylesheets.append(_pdf_rules())
    if style:
        html = html[: style.start()] + html[style.end() :]
    fetcher = URLFetcher(allowed_protocols={"data", "file"}, fail_on_errors=True)
    _deflate_at_chosen_level()
    with cyclic_gc_paused:
        document = HTML(string=html, base_url=str(knowledge_path("leaflets")), url_fetcher=fetcher)
        with _LAYOUT_LOCK:
            # PDF/UA-1: a tagged PDF (structure tree, language, title) that screen readers read
            pdf: bytes = document.write_pdf(
                pdf_variant=PDF_VARIANT, font_config=_font_config(), stylesheets=stylesheets
            )
        del document
    # Parsing and layout leave thousands of objects in reference cycles (the element
    # tree, boxes, styles, text layouts), all made during the pause: one pass over the
    # young generation frees them.
    gc.collect(0)
    return pdf


def render_pdf(plan: LeafletPlan | dict[str, Any]) -> bytes:
    """The leaflet for ``plan`` as a tagged PDF/UA-1 (WeasyPrint, local fonts, no network)."""
    return _write_pdf(render_html(plan))


def warm_up() -> float:
    """Do the once-per-process set-up now: one leaflet per language, thrown away.

    Imports WeasyPrint, loads the font configuration and the leaflet's fonts, parses
    the user-agent stylesheet, compiles the templates and loads the claims and each
    language's text and locale data, so that the first leaflet a user asks for costs
    what every later one does. Returns the seconds taken.
    """
    start = time.perf_counter()
    for language in Language:
        plan = LeafletPlan(
            access=Access.radial,
            stent_type=StentType.drug_eluting,
            chronic_total_occlusion=False,
            second_antiplatelet=SecondAntiplatelet.clopidogrel,
            antiplatelet_months=MAX_ANTIPLATELET_MONTHS,
            procedure_date=dt.date.today(),
            language=language,
            centre_phone="000",
        )
        render_pdf(plan)
    return time.perf_counter() - start
