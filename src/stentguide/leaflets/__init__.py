"""Patient leaflets for a planned coronary angioplasty, in English and French.

A nurse or doctor fills in a :class:`LeafletPlan` (access route, expected stent,
whether the artery has been blocked for a long time, the antiplatelet plan, the
procedure date and the reader's language); :func:`render_html` and
:func:`render_pdf` turn it into a personalised leaflet whose every figure cites
its source, with the date to stop each medicine worked out from the procedure
date. The wording and figures are data under ``knowledge/leaflets/``.

>>> from stentguide.leaflets import render_html
>>> html = render_html({"access": "radial", "stent_type": "drug_eluting",
...     "chronic_total_occlusion": False, "second_antiplatelet": "clopidogrel",
...     "antiplatelet_months": 6, "procedure_date": "2025-01-31", "language": "en"})
>>> "31 July 2025" in html
True
"""

from __future__ import annotations

from stentguide.leaflets.plan import (
    Access,
    Language,
    LeafletPlan,
    SecondAntiplatelet,
    StentType,
    parse_plan,
    plan_schema,
)
from stentguide.leaflets.reading_level import Readability, leaflet_text, readability
from stentguide.leaflets.render import LEAFLET_PAGES, plan_specifics, render_html, render_pdf
from stentguide.leaflets.schedule import MedicineCourse, add_months, antiplatelet_schedule

__all__ = [
    "LEAFLET_PAGES",
    "Access",
    "Language",
    "LeafletPlan",
    "MedicineCourse",
    "Readability",
    "SecondAntiplatelet",
    "StentType",
    "add_months",
    "antiplatelet_schedule",
    "leaflet_text",
    "parse_plan",
    "plan_schema",
    "plan_specifics",
    "readability",
    "render_html",
    "render_pdf",
]
