"""Risk calculators: one form per score built from its input schema; pages and API.

The form is generated from :func:`stentguide.risk.input_schema`; the values are
turned into booleans and numbers as the schema types them, and every check of
range, type and presence is the score engine's (one ``InputError`` naming every
field). While the user types, htmx posts the form to ``.../check``, which shows
the problems of the fields filled in so far.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from stentguide import risk
from stentguide.errors import InputError, UnknownNameError
from stentguide.web.errors import NotFoundError
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render
from stentguide.web.views import sources_view

router = APIRouter()
NAV = (NavLink(30, "Risk scores", "/scores"),)


class ScoreIn(BaseModel):
    """One case's inputs, and optionally the score's documented method parameters."""

    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Any] = Field(description="Field -> value, as the score's schema gives.")
    params: Annotated[dict[str, Any] | None, Field(description="Method choices")] = None


def _schema_or_404(name: str) -> dict[str, Any]:
    try:
        return risk.input_schema(name)
    except UnknownNameError as exc:
        raise NotFoundError("score", name, exc.suggestions) from None


@router.get("/api/scores", tags=["scores"])
def api_scores() -> list[risk.ScoreInfo]:
    """Every score; withheld ones say why they are not available."""
    return risk.list_scores()


@router.get("/api/scores/{name}/schema", tags=["scores"])
def api_score_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one case's inputs (types, units, ranges)."""
    return _schema_or_404(name)


@router.post("/api/scores/{name}", tags=["scores"])
def api_score(name: str, body: ScoreIn) -> risk.ScoreResult:
    """Score one case: points or value, category, published outcome, components, sources."""
    _schema_or_404(name)
    try:
        return risk.score(name, body.inputs, body.params)
    except InputError as exc:
        problems = {f"inputs.{field}": why for field, why in exc.problems.items()}
        raise InputError(f"invalid input for {name}", problems or {"inputs": str(exc)}) from None


def _typed(prop: dict[str, Any], raw: str) -> Any:
    kind = prop.get("type")
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind in ("number", "integer"):
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if kind == "integer" and number.is_integer() else number
    return raw


def _inputs(schema: dict[str, Any], form: FormData) -> tuple[dict[str, Any], set[str]]:
    inputs: dict[str, Any] = {}
    for field, prop in schema["properties"].items():
        raw = str(form.get(field, "")).strip()
        if raw:
            inputs[field] = _typed(prop, raw)
    return inputs, set(inputs)


def _page(
    request: Request,
    name: str,
    schema: dict[str, Any],
    *,
    values: dict[str, str],
    result: risk.ScoreResult | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    info = next((s for s in risk.list_scores() if s.name == name), None)
    return render(
        request,
        "scores/score.html",
        {
            "name": name,
            "info": info,
            "schema": schema,
            "values": values,
            "result": result,
            "problems": problems or {},
            "sources": sources_view(list(result.sources) if result else []),
        },
        status_code=status,
        title=schema["title"],
    )


@router.get("/scores", include_in_schema=False)
def scores_page(request: Request) -> HTMLResponse:
    """The calculators, with the withheld scores and their reasons."""
    return render(request, "scores/list.html", {"scores": risk.list_scores()}, title="Risk scores")


@router.get("/scores/{name}", include_in_schema=False)
def score_page(request: Request, name: str) -> HTMLResponse:
    """The empty form of one score."""
    return _page(request, name, _schema_or_404(name), values={})


@router.post("/scores/{name}", include_in_schema=False)
async def score_submit(request: Request, name: str) -> HTMLResponse:
    """Score the submitted form, or show every problem beside its field."""
    schema = _schema_or_404(name)
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    inputs, _ = _inputs(schema, form)
    try:
        result = risk.score(name, inputs)
    except InputError as exc:
        return _page(request, name, schema, values=values, problems=exc.problems, status=422)
    return _page(request, name, schema, values=values, result=result)


@router.post("/scores/{name}/check", include_in_schema=False)
async def score_check(request: Request, name: str) -> HTMLResponse:
    """The problems of the fields filled in so far (for checking as the user types)."""
    schema = _schema_or_404(name)
    form = await request.form()
    inputs, filled = _inputs(schema, form)
    problems: dict[str, str] = {}
    try:
        risk.score(name, inputs)
    except InputError as exc:
        problems = {f: why for f, why in exc.problems.items() if f in filled}
    return render(request, "scores/_problems.html", {"problems": problems, "schema": schema})
