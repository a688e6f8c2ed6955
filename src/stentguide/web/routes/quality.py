"""The quality dashboard: the registry's rates beside the published figures.

Rates and their Wilson intervals come from :mod:`stentguide.cases.analytics`, all
breakdowns summed from one :func:`~stentguide.cases.counts.registry_counts` of the search,
published figures and their sources from ``knowledge/registry/literature.yaml``,
the plot's rows from :mod:`stentguide.cases.plots` written as SVG by
:mod:`stentguide.cases.rates_svg`, the search and the synthetic-data
sentence from :mod:`stentguide.cases.search`. This module formats them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse

from stentguide.cases.analytics import Comparison, Grouping, Rate, compare, registry_rates
from stentguide.cases.counts import registry_counts
from stentguide.cases.plots import plot_rows
from stentguide.cases.rates_svg import rates_svg
from stentguide.cases.search import synthetic_warning
from stentguide.web.navigation import NavLink
from stentguide.web.routes._registry import Db, Viewer, read_search
from stentguide.web.templating import render
from stentguide.web.views import sources_view

router = APIRouter()
NAV = (NavLink(70, "Quality", "/quality"),)

DASHBOARD_METRICS = ("stent_loss", "delivery_failure", "retrieval_success", "emergency_surgery")


def _percent(value: float) -> str:
    return f"{value:.2f}%"


def rate_view(rate: Rate) -> dict[str, Any]:
    """A rate formatted for the page: counts, percent and Wilson 95% interval."""
    ci = rate.ci_percent
    return {
        "metric": rate.metric,
        "label": rate.label,
        "events": rate.events,
        "total": rate.total,
        "percent": _percent(rate.percent) if rate.percent is not None else None,
        "ci": f"{_percent(ci[0])} to {_percent(ci[1])}" if ci else None,
    }


def comparison_view(comparison: Comparison) -> dict[str, Any]:
    """A rate beside each published figure, with the figure's sources and confidence."""
    figures = []
    for figure in comparison.figures:
        if figure.percent is not None:
            value = _percent(figure.percent)
        else:
            assert figure.range_percent is not None
            low, high = figure.range_percent
            value = f"{low:g}-{high:g}%"
        figures.append(
            {
                "label": figure.label,
                "value": value,
                "ci": (
                    f"{figure.ci_percent[0]:g}-{figure.ci_percent[1]:g}%"
                    if figure.ci_percent
                    else None
                ),
                "counts": (
                    f"{figure.events}/{figure.total}" if figure.events is not None else None
                ),
                "population": figure.population,
                "confidence": figure.confidence,
                "note": figure.note,
                "sources": sources_view(list(figure.sources)),
            }
        )
    return {**rate_view(comparison.rate), "figures": figures}


def grouped_view(rates: list[Rate]) -> list[dict[str, Any]]:
    """Rows of one breakdown (by year or operator): the main metrics per group."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for rate in rates:
        if rate.metric in DASHBOARD_METRICS and rate.group is not None:
            groups.setdefault(rate.group, {})[rate.metric] = rate_view(rate)
    return [{"group": group, "rates": by_metric} for group, by_metric in groups.items()]


@router.get("/quality", include_in_schema=False)
def quality_page(request: Request, login: Viewer, db: Db) -> HTMLResponse:
    """Rates with Wilson 95% intervals, overall, by year and by operator, beside the literature."""
    query, values, problems = read_search(request.query_params)
    context: dict[str, Any] = {
        "login": login,
        "values": values,
        "problems": problems,
        "filter_choices": {},
        "metrics": DASHBOARD_METRICS,
        "overall": [],
        "by_year": [],
        "by_operator": [],
        "plot": None,
        "sources": [],
        "total": 0,
        "synthetic_warning": None,
        "demo": request.app.state.settings.demo,
    }
    if query is not None:
        counts = registry_counts(db, query)
        overall = compare(registry_rates(db, counts=counts))
        total = counts.total
        warning = synthetic_warning(counts.synthetic, total)
        context["total"] = total
        context["synthetic_warning"] = warning
        context["overall"] = [comparison_view(c) for c in overall]
        context["sources"] = sources_view(
            [key for c in overall for f in c.figures for key in f.sources]
        )
        context["by_year"] = grouped_view(registry_rates(db, by=Grouping.year, counts=counts))
        context["by_operator"] = grouped_view(
            registry_rates(db, by=Grouping.operator, counts=counts)
        )
        if total:
            # written without a plotting library (about a millisecond), sized to the page
            context["plot"] = Markup(rates_svg(plot_rows(overall), warning))
    return render(
        request,
        "cases/dashboard.html",
        context,
        status_code=422 if problems else 200,
        title="Quality dashboard",
    )
