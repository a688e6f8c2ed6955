"""Leaflet rendering rates: HTML against plan validation, PDF against HTML."""

from __future__ import annotations

from bench._common import Result, rate
from stentguide.leaflets import parse_plan, render_html, render_pdf

_PLAN = {
    "access": "femoral",
    "stent_type": "bare_metal",
    "chronic_total_occlusion": True,
    "second_antiplatelet": "ticagrelor",
    "antiplatelet_months": 12,
    "procedure_date": "2025-01-31",
    "language": "fr",
    "patient_first_name": "Anne",
}


def _validate() -> int:
    parse_plan(_PLAN)
    return 1


def _html() -> int:
    render_html(_PLAN)
    return 1


def _pdf() -> int:
    render_pdf(_PLAN)
    return 1


def run() -> list[Result]:
    render_pdf(_PLAN)
    validate = rate(_validate)
    html = rate(_html)
    pdf = rate(_pdf, min_seconds=1.0, repeat=2)
    return [
        Result("leaflets: render HTML", "leaflets/s", html, validate, "plan validation only"),
        Result("leaflets: render PDF", "leaflets/s", pdf, html, "render HTML only",
               note="WeasyPrint layout of 4 A4 pages"),
    ]
