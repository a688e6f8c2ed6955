"""Risk calculators: pages, the CTO panel, and the typed JSON API.

Each score has its own typed API operation (``POST /api/scores/<name>``) whose body
is :func:`stentguide.risk.request_model`, so the OpenAPI document states every
input's type, unit and range; ``GET /api/scores/{name}`` returns the input schema.

The pages post a FastAPI form model per score (``Annotated[Model, Form()]``): every
field is text as the browser sends it, turned into booleans and numbers here, with
lab units converted by :func:`stentguide.risk.to_canonical`. Every check of range,
type and presence is the score engine's. While the user answers, htmx posts the
form to ``.../check``, which returns the live result bar: the result once every
item is answered, else what is still unanswered (never a guessed answer).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.responses import HTMLResponse

from stentguide import risk
from stentguide.errors import InputError, UnknownNameError
from stentguide.risk import ScoreSpec
from stentguide.web.errors import NotFoundError
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render
from stentguide.web.views import sources_view

router = APIRouter()
NAV = (NavLink(30, "Risk scores", "/scores"),)

_PANEL = "cto"
_TEXT = Annotated[str, Field(max_length=40)]


class ProblemDetail(BaseModel):
    """One problem: where (``loc``), what (``msg``) and its kind (``type``)."""

    loc: list[str | int]
    msg: str
    type: str


class Problems(BaseModel):
    """The body of a 404 or 422 answer."""

    detail: str | list[ProblemDetail]


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problems, "description": "No score of that name."}
}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "model": Problems,
        "description": "A field is missing, of the wrong type, or outside its range.",
    }
}


def _spec_or_404(name: str) -> ScoreSpec:
    try:
        return risk.get_spec(name)
    except UnknownNameError as exc:
        raise NotFoundError("score", name, exc.suggestions) from None


# ------------------------------------------------------------------ JSON API


@router.get("/api/scores", tags=["scores"])
def api_scores() -> list[risk.ScoreInfo]:
    """Every score; withheld ones say why they are not available."""
    return risk.list_scores()


def _schema(name: str) -> dict[str, Any]:
    _spec_or_404(name)
    schema = risk.input_schema(name)
    spec = risk.get_spec(name)
    schema["x-computable"] = {
        v.name: v.derived_from for v in spec.variables if v.derived_from is not None
    }
    schema["x-units"] = {
        field: [u.model_dump() for u in risk.unit_options(field)]
        for field in schema["properties"]
        if risk.unit_options(field)
    }
    return schema


@router.get("/api/scores/{name}", tags=["scores"], responses=_NOT_FOUND)
def api_score_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one case's inputs: types, units, ranges, computable inputs."""
    return _schema(name)


@router.get("/api/scores/{name}/schema", tags=["scores"], responses=_NOT_FOUND)
def api_score_schema_alias(name: str) -> dict[str, Any]:
    """The same schema as ``GET /api/scores/{name}``."""
    return _schema(name)


def _score_or_422(name: str, inputs: Mapping[str, Any], params: Mapping[str, Any] | None) -> Any:
    try:
        return risk.score(name, inputs, params)
    except InputError as exc:
        problems = {f"inputs.{field}": why for field, why in exc.problems.items()}
        raise InputError(f"invalid input for {name}", problems or {"inputs": str(exc)}) from None


def _api_operation(spec: ScoreSpec) -> Callable[..., risk.ScoreResult]:
    body_type = risk.request_model(spec.name)

    def operation(body: Any) -> risk.ScoreResult:
        data = body.model_dump(exclude_none=True, mode="json")
        result: risk.ScoreResult = _score_or_422(spec.name, data["inputs"], data.get("params"))
        return result

    operation.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "body",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[body_type, Body()],
            )
        ],
        return_annotation=risk.ScoreResult,
    )
    operation.__name__ = f"score_{spec.name.replace('-', '_')}"
    return operation


def _add_api_operations() -> None:
    for info in risk.list_scores():
        if not info.available:
            continue
        spec = risk.get_spec(info.name)
        router.add_api_route(
            f"/api/scores/{spec.name}",
            _api_operation(spec),
            methods=["POST"],
            tags=["scores"],
            summary=f"Score one case: {spec.title}",
            description=spec.purpose,
            response_model=risk.ScoreResult,
            responses=_INVALID,
        )


_add_api_operations()


@router.post("/api/scores/{name}", include_in_schema=False)
def api_score_unknown(name: str) -> None:
    """A score that is not shipped: 404 (or 422 with the reason for a withheld one)."""
    _spec_or_404(name)


# ------------------------------------------------------------------ forms

_UNIT = "__unit"


def _page_fields(spec: ScoreSpec) -> list[Any]:
    """The inputs a page asks for: the spec's, then those of any equation that computes one."""
    params = _defaults(spec)
    active = [v for v in spec.variables if _active(v, params)]
    names: dict[str, Any] = {v.name: v for v in active}
    for var in active:
        if var.derived_from:
            for source_var in risk.get_spec(var.derived_from).variables:
                names.setdefault(source_var.name, source_var)
    return list(names.values())


def _active(var: Any, params: Mapping[str, Any]) -> bool:
    return all(params.get(k) == v for k, v in (var.required_when or {}).items())


def _form_model(name: str, variables: list[Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for var in variables:
        fields[var.name] = (_TEXT, "")
        if risk.unit_options(var.name):
            fields[var.name + _UNIT] = (_TEXT, "")
    model: type[BaseModel] = create_model(
        f"{name.replace('-', '_')}_form",
        __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
        **fields,
    )
    return model


def _typed(var: Any, raw: str) -> Any:
    if var.type == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    if var.type in ("int", "float"):
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if var.type == "int" and number.is_integer() else number
    return raw


def _inputs(
    variables: list[Any], form: BaseModel
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Typed inputs in canonical units, the raw values to show again, and unit problems."""
    values: dict[str, str] = form.model_dump()
    inputs: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for var in variables:
        raw = values.get(var.name, "")
        if not raw:
            continue
        value = _typed(var, raw)
        unit = values.get(var.name + _UNIT, "")
        if unit and isinstance(value, float):
            try:
                value = risk.to_canonical(var.name, value, unit)
            except InputError as exc:
                problems.update(exc.problems)
                continue
        inputs[var.name] = value
    return inputs, values, problems


def _controls(spec: ScoreSpec | None, variables: list[Any]) -> list[dict[str, Any]]:
    """What the template needs for each input: kind, label, choices with points, units."""
    points = risk.answer_points(spec.name) if spec else {}
    derived_targets = {
        v.name: risk.get_spec(v.derived_from).title
        for v in (spec.variables if spec else variables)
        if v.derived_from
    }
    own = {v.name for v in spec.variables if _active(v, _defaults(spec))} if spec else set()
    controls = []
    for var in variables:
        item: dict[str, Any] = {
            "name": var.name,
            "label": var.description,
            "type": var.type,
            "unit": var.unit,
            "minimum": var.minimum,
            "maximum": var.maximum,
            "units": [u.model_dump() for u in risk.unit_options(var.name)],
            "computable_by": derived_targets.get(var.name),
            "for_computing": bool(spec) and var.name not in own,
            "required_when": var.required_when,
        }
        tags = points.get(var.name, {})
        if var.type == "bool":
            item["choices"] = [
                {"value": "true", "text": "Yes", "tag": tags.get("true", "")},
                {"value": "false", "text": "No", "tag": ""},
            ]
        elif var.type == "category":
            item["choices"] = [
                {"value": level, "text": level.replace("_", " "), "tag": tags.get(level, "")}
                for level in var.levels or []
            ]
        controls.append(item)
    return controls


def _live(spec: ScoreSpec, inputs: dict[str, Any], filled: set[str]) -> dict[str, Any]:
    """The result when the case is complete, else what is missing and what is wrong so far."""
    try:
        return {"result": risk.score(spec.name, inputs), "missing": [], "problems": {}}
    except InputError as exc:
        missing = [f for f, why in exc.problems.items() if why.startswith("missing")]
        problems = {
            f: why for f, why in exc.problems.items() if f in filled or not why.startswith("miss")
        }
        problems = {f: why for f, why in problems.items() if not why.startswith("missing")}
        return {"result": None, "missing": missing, "problems": problems}


def _page(
    request: Request,
    spec: ScoreSpec,
    *,
    values: dict[str, str],
    live: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
    fragment: bool = False,
) -> HTMLResponse:
    variables = _page_fields(spec)
    result = (live or {}).get("result")
    active = [v for v in spec.variables if _active(v, _defaults(spec))]
    context = {
        "spec": spec,
        "name": spec.name,
        "controls": _controls(spec, variables),
        "values": values,
        "live": live or {"result": None, "missing": [], "problems": {}},
        "result": result,
        "problems": problems or {},
        "answered": sum(1 for v in active if values.get(v.name)),
        "total": len(active),
        "labels": {v.name: v.description for v in variables},
        "provisional": risk.provisional_points(spec.name, _answers(variables, values)),
        "sources": sources_view(list(result.sources) if result else []),
    }
    template = "scores/_live.html" if fragment else "scores/score.html"
    return render(request, template, context, status_code=status, title=spec.title)


def _answers(variables: list[Any], values: Mapping[str, str]) -> dict[str, Any]:
    typed = {}
    for var in variables:
        raw = values.get(var.name, "")
        if raw:
            typed[var.name] = _typed(var, raw)
    return typed


def _defaults(spec: ScoreSpec) -> dict[str, Any]:
    return {p.name: p.default for p in spec.parameters}


@router.get("/scores", include_in_schema=False)
def scores_page(request: Request) -> HTMLResponse:
    """The calculators, the CTO panel, and the withheld scores with their reasons."""
    panel = risk.get_panel(_PANEL)
    return render(
        request,
        "scores/list.html",
        {"scores": risk.list_scores(), "panel": panel},
        title="Risk scores",
    )


def _panel_page(
    request: Request, values: dict[str, str], status: int = 200, fragment: bool = False
) -> HTMLResponse:
    panel = risk.get_panel(_PANEL)
    variables = risk.panel_fields(_PANEL)
    inputs, values, problems = _inputs(variables, _panel_form.model_validate(values))
    entries = risk.score_panel(_PANEL, inputs)
    context = {
        "panel": panel,
        "controls": _controls(None, variables),
        "values": values,
        "entries": entries,
        "problems": problems,
    }
    template = "scores/_panel_results.html" if fragment else "scores/panel.html"
    return render(request, template, context, status_code=status, title=panel.title)


_panel_form = _form_model("panel", risk.panel_fields(_PANEL))


@router.get("/scores/panel/cto", include_in_schema=False)
def panel_page(request: Request) -> HTMLResponse:
    """One form for a CTO work-up: J-CTO, PROGRESS-CTO and the renal scores together."""
    return _panel_page(request, {})


def _panel_operation(fragment: bool) -> Callable[..., HTMLResponse]:
    def operation(request: Request, form: Any) -> HTMLResponse:
        return _panel_page(request, form.model_dump(), fragment=fragment)

    operation.__signature__ = _form_signature(_panel_form)  # type: ignore[attr-defined]
    return operation


@router.get("/scores/{name}", include_in_schema=False)
def score_page(request: Request, name: str) -> HTMLResponse:
    """The empty form of one score."""
    return _page(request, _spec_or_404(name), values={})


def _form_operations(spec: ScoreSpec) -> tuple[Callable[..., Any], Callable[..., Any]]:
    variables = _page_fields(spec)
    model = _form_model(spec.name, variables)

    def evaluate(form: BaseModel) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
        inputs, values, unit_problems = _inputs(variables, form)
        live = _live(spec, inputs, set(inputs))
        live["problems"] = {**live["problems"], **unit_problems}
        return values, live, unit_problems

    def submit(request: Request, form: Any) -> HTMLResponse:
        values, live, _ = evaluate(form)
        if live["result"] is None:
            problems = {**{f: "missing" for f in live["missing"]}, **live["problems"]}
            return _page(request, spec, values=values, live=live, problems=problems, status=422)
        return _page(request, spec, values=values, live=live)

    def check(request: Request, form: Any) -> HTMLResponse:
        values, live, _ = evaluate(form)
        return _page(request, spec, values=values, live=live, fragment=True)

    for function in (submit, check):
        function.__signature__ = _form_signature(model)  # type: ignore[attr-defined]
    return submit, check


def _form_signature(model: type[BaseModel]) -> inspect.Signature:
    """``(request, form: Annotated[model, Form()])``: the page posts a FastAPI form model."""
    return inspect.Signature(
        [
            inspect.Parameter(
                "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
            ),
            inspect.Parameter(
                "form", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[model, Form()]
            ),
        ],
        return_annotation=HTMLResponse,
    )


def _add_form_operations() -> None:
    router.add_api_route(
        "/scores/panel/cto", _panel_operation(False), methods=["POST"], include_in_schema=False
    )
    router.add_api_route(
        "/scores/panel/cto/check", _panel_operation(True), methods=["POST"], include_in_schema=False
    )
    for info in risk.list_scores():
        if not info.available:
            continue
        spec = risk.get_spec(info.name)
        submit, check = _form_operations(spec)
        router.add_api_route(
            f"/scores/{spec.name}", submit, methods=["POST"], include_in_schema=False
        )
        router.add_api_route(
            f"/scores/{spec.name}/check", check, methods=["POST"], include_in_schema=False
        )


_add_form_operations()


@router.post("/scores/{name}", include_in_schema=False)
def score_submit_unknown(name: str) -> None:
    """A form posted to a score that is not shipped."""
    _spec_or_404(name)
