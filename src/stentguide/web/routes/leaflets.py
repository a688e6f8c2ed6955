"""Patient leaflets: the plan form, a preview, and the PDF download; pages and API.

The form's fields are the plan's (:class:`~stentguide.leaflets.LeafletPlan`);
:func:`~stentguide.leaflets.parse_plan` validates them and names every missing
or bad field, and the leaflet itself is rendered by the leaflets package. The
form is posted, not put in a link, so a first name never lands in a URL or a log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from stentguide.errors import InputError
from stentguide.leaflets import (
    Access,
    Language,
    LeafletPlan,
    SecondAntiplatelet,
    StentType,
    parse_plan,
    plan_schema,
    render_html,
    render_pdf,
)
from stentguide.leaflets.plan import MAX_ANTIPLATELET_MONTHS, MIN_ANTIPLATELET_MONTHS
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render

router = APIRouter()
NAV = (NavLink(50, "Leaflets", "/leaflets"),)

_PDF_HEADERS = {"Content-Disposition": 'attachment; filename="stentguide-leaflet.pdf"'}


@router.get("/api/leaflets/schema", tags=["leaflets"])
def api_plan_schema() -> dict[str, Any]:
    """The JSON Schema of a leaflet plan."""
    return plan_schema()


@router.post("/api/leaflets/html", tags=["leaflets"], response_class=HTMLResponse)
def api_leaflet_html(plan: dict[str, Any]) -> HTMLResponse:
    """The personalised leaflet as printable HTML."""
    return HTMLResponse(render_html(parse_plan(plan)))


@router.post(
    "/api/leaflets/pdf",
    tags=["leaflets"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def api_leaflet_pdf(plan: dict[str, Any]) -> Response:
    """The personalised leaflet as a four-page A4 PDF."""
    return Response(render_pdf(parse_plan(plan)), media_type="application/pdf")


def _plan_from_form(form: FormData) -> dict[str, Any]:
    plan: dict[str, Any] = {}
    for field in (
        "access",
        "stent_type",
        "second_antiplatelet",
        "procedure_date",
        "language",
        "centre_phone",
        "patient_first_name",
    ):
        raw = str(form.get(field, "")).strip()
        if raw:
            plan[field] = raw
    cto = str(form.get("chronic_total_occlusion", "")).strip()
    if cto:
        plan["chronic_total_occlusion"] = {"true": True, "false": False}.get(cto, cto)
    months = str(form.get("antiplatelet_months", "")).strip()
    if months:
        plan["antiplatelet_months"] = int(months) if months.isdigit() else months
    return plan


def _form_page(
    request: Request,
    *,
    values: dict[str, str],
    problems: dict[str, str] | None = None,
    preview: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "leaflets/form.html",
        {
            "values": values,
            "problems": problems or {},
            "preview": preview,
            "choices": {
                "access": [m.value for m in Access],
                "stent_type": [m.value for m in StentType],
                "second_antiplatelet": [m.value for m in SecondAntiplatelet],
                "language": [m.value for m in Language],
            },
            "months": (MIN_ANTIPLATELET_MONTHS, MAX_ANTIPLATELET_MONTHS),
        },
        status_code=status,
        title="Patient leaflet",
    )


@router.get("/leaflets", include_in_schema=False)
def leaflet_form(request: Request) -> HTMLResponse:
    """The empty plan form."""
    return _form_page(request, values={})


async def _posted_plan(request: Request) -> tuple[dict[str, str], LeafletPlan | HTMLResponse]:
    """The posted form's values, and its plan or the form page naming every bad field."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    try:
        return values, parse_plan(_plan_from_form(form))
    except InputError as exc:
        return values, _form_page(request, values=values, problems=exc.problems, status=422)


@router.post("/leaflets/preview", include_in_schema=False)
async def leaflet_preview(request: Request) -> HTMLResponse:
    """The form again with the leaflet shown below it, or every problem beside its field."""
    values, plan = await _posted_plan(request)
    if isinstance(plan, HTMLResponse):
        return plan
    return _form_page(request, values=values, preview=render_html(plan))


@router.post("/leaflets/pdf", include_in_schema=False)
async def leaflet_pdf(request: Request) -> Response:
    """The leaflet as a PDF download."""
    _values, plan = await _posted_plan(request)
    if isinstance(plan, HTMLResponse):
        return plan
    return Response(render_pdf(plan), media_type="application/pdf", headers=_PDF_HEADERS)
