"""Patient leaflets: the plan form, a preview, and the PDF download; pages and API.

The form's fields are the plan's (:class:`~stentguide.leaflets.LeafletPlan`),
read by FastAPI into :class:`LeafletForm`; :func:`~stentguide.leaflets.parse_plan`
validates them and names every missing
or bad field, and the leaflet itself is rendered by the leaflets package. The
form is posted, not put in a link, so a first name never lands in a URL or a log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import HTMLResponse, Response

from stentguide import leaflets
from stentguide.errors import InputError
from stentguide.leaflets.plan import MAX_ANTIPLATELET_MONTHS, MIN_ANTIPLATELET_MONTHS
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render

router = APIRouter()
NAV = (NavLink(50, "Leaflets", "/leaflets"),)

_PDF_HEADERS = {"Content-Disposition": 'attachment; filename="stentguide-leaflet.pdf"'}


@router.get("/api/leaflets/schema", tags=["leaflets"])
def api_plan_schema() -> dict[str, Any]:
    """The JSON Schema of a leaflet plan."""
    return leaflets.plan_schema()


_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "A field of the plan is missing, unknown or invalid (each one named)."}
}


@router.post(
    "/api/leaflets/html",
    tags=["leaflets"],
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **_INVALID},
)
def api_leaflet_html(plan: leaflets.LeafletPlan) -> HTMLResponse:
    """The personalised leaflet as printable HTML."""
    return HTMLResponse(leaflets.render_html(leaflets.parse_plan(plan)))


@router.post(
    "/api/leaflets/pdf",
    tags=["leaflets"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **_INVALID},
)
def api_leaflet_pdf(plan: leaflets.LeafletPlan) -> Response:
    """The personalised leaflet as a four-page A4 PDF."""
    return Response(leaflets.render_pdf(leaflets.parse_plan(plan)), media_type="application/pdf")


class LeafletForm(BaseModel):
    """The plan form as posted (``Form()``): every input as text, blank when not given.

    The inputs are the plan's fields; :meth:`plan` hands the given ones to
    :func:`~stentguide.leaflets.parse_plan`, which converts and checks them and
    names every missing or bad one.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    access: str = ""
    stent_type: str = ""
    chronic_total_occlusion: str = ""
    second_antiplatelet: str = ""
    antiplatelet_months: str = ""
    procedure_date: str = ""
    language: str = ""
    centre_phone: str = ""
    patient_first_name: str = ""

    def plan(self) -> leaflets.LeafletPlan:
        """The validated plan, or an :class:`~stentguide.errors.InputError` naming each field."""
        return leaflets.parse_plan({k: v for k, v in self.model_dump().items() if v})


PostedPlan = Annotated[LeafletForm, Form()]


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
                "access": [m.value for m in leaflets.Access],
                "stent_type": [m.value for m in leaflets.StentType],
                "second_antiplatelet": [m.value for m in leaflets.SecondAntiplatelet],
                "language": [m.value for m in leaflets.Language],
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


def _posted_plan(
    request: Request, form: LeafletForm
) -> tuple[dict[str, str], leaflets.LeafletPlan | HTMLResponse]:
    """The posted form's values, and its plan or the form page naming every bad field."""
    values = form.model_dump()
    try:
        return values, form.plan()
    except InputError as exc:
        return values, _form_page(request, values=values, problems=exc.problems, status=422)


@router.post("/leaflets/preview", include_in_schema=False)
def leaflet_preview(request: Request, form: PostedPlan) -> HTMLResponse:
    """The form again with the leaflet shown below it, or every problem beside its field."""
    values, plan = _posted_plan(request, form)
    if isinstance(plan, HTMLResponse):
        return plan
    return _form_page(request, values=values, preview=leaflets.render_html(plan))


@router.post("/leaflets/pdf", include_in_schema=False)
def leaflet_pdf(request: Request, form: PostedPlan) -> Response:
    """The leaflet as a PDF download."""
    _values, plan = _posted_plan(request, form)
    if isinstance(plan, HTMLResponse):
        return plan
    return Response(leaflets.render_pdf(plan), media_type="application/pdf", headers=_PDF_HEADERS)
