"""The registry's pages: case list, case record, add and edit, import and export, quality.

Every page here shows or changes registry cases, so every one needs a login
(:mod:`stentguide.web.auth`): a viewer reads cases and the dashboard, an
operator also adds, edits and imports cases and attaches protocol runs. Every
change goes through :class:`stentguide.cases.Registry` with the logged-in
username as ``actor``, so the audit log says who and when.

The routes parse forms, call the core and render: validation is the core's
:class:`stentguide.cases.CaseIn`, rates and their Wilson intervals come from
:mod:`stentguide.cases.analytics`, published figures and their sources from
``knowledge/registry/literature.yaml``, the plot from :mod:`stentguide.cases.plots`,
files from :mod:`stentguide.cases.exchange`. Synthetic demonstration cases
(outcome ``synthetic``, patient ids ``DEMO-``, see :mod:`stentguide.cases.demo`)
are labelled as such wherever they show.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stentguide.cases import (
    Access,
    CaseFilter,
    CaseIn,
    ComplicationKind,
    Registry,
    RetrievalTechnique,
    StoredCase,
    Vessel,
)
from stentguide.cases.analytics import Comparison, Grouping, Rate, compare, registry_rates
from stentguide.cases.demo import SYNTHETIC_OUTCOME
from stentguide.cases.exchange import export_archive, export_table, import_archive, import_table
from stentguide.cases.plots import rates_plot
from stentguide.cases.users import Role
from stentguide.errors import InputError, StoreError
from stentguide.web.auth import Login, require, require_form
from stentguide.web.deps import registry
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render
from stentguide.web.views import sources_view

router = APIRouter()
NAV = (NavLink(60, "Cases", "/cases"), NavLink(70, "Quality", "/quality"))

Db = Annotated[Registry, Depends(registry)]
Viewer = Annotated[Login, Depends(require(Role.viewer))]
OperatorPage = Annotated[Login, Depends(require(Role.operator))]
OperatorForm = Annotated[Login, Depends(require_form(Role.operator))]

"""The outcome :func:`stentguide.cases.demo.demo_cases` gives every invented case."""

PAGE_SIZE = 50
MIN_LESION_ROWS = 2
MIN_COMPLICATION_ROWS = 2
EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
    "json": ("application/json", ".json"),
}
DASHBOARD_METRICS = ("stent_loss", "delivery_failure", "retrieval_success", "emergency_surgery")


# ---------------------------------------------------------------------- filters


_FILTER_FIELDS = ("patient_id", "since", "until", "operator", "complication", "outcome")


def _parse_date(text: str, field: str, problems: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems[field] = f"{text!r} is not a date (YYYY-MM-DD)"
        return None


def parse_filter(params: Mapping[str, str]) -> tuple[CaseFilter, dict[str, str], dict[str, str]]:
    """The query named by ``params``, the values to show back and the problems by field."""
    values = {k: params.get(k, "").strip() for k in _FILTER_FIELDS}
    problems: dict[str, str] = {}
    since = _parse_date(values["since"], "since", problems) if values["since"] else None
    until = _parse_date(values["until"], "until", problems) if values["until"] else None
    complication = values["complication"] or None
    if complication is not None and complication not in {k.value for k in ComplicationKind}:
        problems["complication"] = (
            f"{complication!r} is not one of {', '.join(k.value for k in ComplicationKind)}"
        )
        complication = None
    query = CaseFilter(
        patient_id=values["patient_id"] or None,
        operator=values["operator"] or None,
        since=since,
        until=until,
        complication=complication,
        outcome=values["outcome"] or None,
    )
    return query, values, problems


def _query_string(values: Mapping[str, str], **extra: str | int) -> str:
    kept: dict[str, str | int] = {k: v for k, v in values.items() if v}
    kept.update(extra)
    return urlencode(kept)


def _synthetic_count(db: Registry, query: CaseFilter) -> int:
    if query.outcome not in (None, SYNTHETIC_OUTCOME):
        return 0
    only_synthetic = {f.name: getattr(query, f.name) for f in fields(query)}
    only_synthetic["outcome"] = SYNTHETIC_OUTCOME
    return db.cases.count(CaseFilter(**only_synthetic))


def is_synthetic(case: StoredCase) -> bool:
    """Whether a case is an invented demonstration case."""
    return case.outcome == SYNTHETIC_OUTCOME


# ---------------------------------------------------------------------- list


@router.get("/cases", include_in_schema=False)
def cases_page(request: Request, login: Viewer, db: Db) -> HTMLResponse:
    """Cases matching the search, newest first, a page at a time."""
    query, values, problems = parse_filter(request.query_params)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        problems["page"] = "must be a whole number"
        page = 1
    found: list[StoredCase] = []
    total = synthetic = 0
    if not problems:
        try:
            total = db.cases.count(query)
            found = db.cases.find(query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            synthetic = _synthetic_count(db, query)
        except InputError as exc:
            problems.update(exc.problems)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "cases/list.html",
        {
            "login": login,
            "can_edit": login.user.role.allows(Role.operator),
            "cases": found,
            "total": total,
            "synthetic": synthetic,
            "page": page,
            "pages": pages,
            "values": values,
            "problems": problems,
            "kinds": [k.value for k in ComplicationKind],
            "query": _query_string(values),
            "prev_query": _query_string(values, page=page - 1),
            "next_query": _query_string(values, page=page + 1),
            "export_formats": list(EXPORT_FORMATS),
            "synthetic_outcome": SYNTHETIC_OUTCOME,
        },
        status_code=422 if problems else 200,
        title="Cases",
    )


# ---------------------------------------------------------------------- the case form


_PSEUDONYM_HINT = (
    "use 1 to 64 letters, digits, '.', '_' or '-' with no spaces: "
    "a pseudonymous id, never the patient's name"
)
_ROW_FIELD = re.compile(r"^(lesion|complication)-(\d{1,3})-([a-z_]+)$")


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _rows(form: Mapping[str, str], prefix: str) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _ROW_FIELD.match(key)
        if match and match.group(1) == prefix:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value.strip()
    return dict(sorted(rows.items()))


@dataclass
class CaseForm:
    """A case form as posted: what to validate, and how core field paths map back to inputs."""

    data: dict[str, Any]
    values: dict[str, str]
    lesion_rows: list[int]
    complication_rows: list[int]
    problems: dict[str, str]

    def field(self, path: str) -> str:
        """The form input a core problem path (``lesions.0.vessel``) belongs to."""
        parts = path.split(".")
        if parts[0] in ("lesions", "complications") and len(parts) > 1 and parts[1].isdigit():
            rows = self.lesion_rows if parts[0] == "lesions" else self.complication_rows
            index = int(parts[1])
            row = rows[index] if index < len(rows) else index
            name = f"{parts[0][:-1]}-{row}"
            return f"{name}-{parts[2]}" if len(parts) > 2 else name
        if parts[0] == "devices":
            return "devices"
        return "case" if parts[0] == "(record)" else parts[0]


def _devices(text: str, problems: dict[str, str]) -> dict[str, str]:
    devices: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        role, sep, name = line.partition(":")
        if not sep or not role.strip() or not name.strip():
            problems["devices"] = f"line {number}: write each device as 'role: device'"
            continue
        if role.strip() in devices:
            problems["devices"] = f"line {number}: {role.strip()!r} is named twice"
            continue
        devices[role.strip()] = name.strip()
    return devices


def parse_case_form(form: FormData) -> CaseForm:
    """Turn a posted case form into the dict :class:`CaseIn` validates (blank rows dropped)."""
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    values = {k: v.strip() for k, v in text.items() if k != "csrf_token"}
    problems: dict[str, str] = {}
    data: dict[str, Any] = {
        k: values[k]
        for k in ("patient_id", "procedure_date", "operator", "access")
        if values.get(k)
    }
    data["outcome"] = values.get("outcome") or None
    data["devices"] = _devices(values.get("devices", ""), problems)
    lesion_rows: list[int] = []
    data["lesions"] = []
    for row, cells in _rows(values, "lesion").items():
        if not any(cells.get(k) for k in ("vessel", "cto", "calcified")):
            continue
        lesion: dict[str, Any] = {
            "cto": _yes_no(cells.get("cto", "")),
            "calcified": _yes_no(cells.get("calcified", "")),
        }
        if cells.get("vessel"):
            lesion["vessel"] = cells["vessel"]
        data["lesions"].append(lesion)
        lesion_rows.append(row)
    complication_rows: list[int] = []
    data["complications"] = []
    for row, cells in _rows(values, "complication").items():
        if not any(cells.get(k) for k in ("kind", "technique", "success", "note")):
            continue
        complication: dict[str, Any] = {
            "technique": cells.get("technique") or None,
            "success": _yes_no(cells.get("success", "")),
            "note": cells.get("note") or None,
        }
        if cells.get("kind"):
            complication["kind"] = cells["kind"]
        data["complications"].append(complication)
        complication_rows.append(row)
    return CaseForm(data, values, lesion_rows, complication_rows, problems)


def validate_case_form(form: CaseForm, uid: str | None = None) -> CaseIn | None:
    """The validated case, or ``None`` with ``form.problems`` naming each bad input."""
    try:
        case = CaseIn.model_validate({**form.data, **({"uid": uid} if uid else {})})
    except ValidationError as exc:
        for path, why in InputError.from_validation("", exc).problems.items():
            pattern = path == "patient_id" and why.startswith("String should match pattern")
            form.problems.setdefault(form.field(path), _PSEUDONYM_HINT if pattern else why)
        return None
    return None if form.problems else case


def _values_of(case: StoredCase) -> dict[str, str]:
    yes_no = {True: "yes", False: "no", None: ""}
    values = {
        "patient_id": case.patient_id,
        "procedure_date": case.procedure_date.isoformat(),
        "operator": case.operator,
        "access": case.access.value,
        "outcome": case.outcome or "",
        "devices": "\n".join(f"{role}: {name}" for role, name in case.devices.items()),
        "version": str(case.version),
    }
    for i, lesion in enumerate(case.lesions):
        values[f"lesion-{i}-vessel"] = lesion.vessel.value
        values[f"lesion-{i}-cto"] = yes_no[lesion.cto]
        values[f"lesion-{i}-calcified"] = yes_no[lesion.calcified]
    for i, comp in enumerate(case.complications):
        values[f"complication-{i}-kind"] = comp.kind.value
        values[f"complication-{i}-technique"] = comp.technique.value if comp.technique else ""
        values[f"complication-{i}-success"] = yes_no[comp.success]
        values[f"complication-{i}-note"] = comp.note or ""
    return values


def _row_count(values: Mapping[str, str], prefix: str, minimum: int) -> int:
    used = [
        int(m.group(2))
        for k, v in values.items()
        if v and (m := _ROW_FIELD.match(k)) and m.group(1) == prefix
    ]
    return max(minimum, (max(used) + 2) if used else 0)


_LABELS = {
    "patient_id": "Pseudonymous patient id",
    "procedure_date": "Procedure date",
    "operator": "Operator",
    "access": "Access",
    "outcome": "Outcome",
    "devices": "Devices",
    "lesions": "Lesions",
    "complications": "Complications",
    "case": "Case",
    "version": "Version",
}


def _label(field: str) -> str:
    match = _ROW_FIELD.match(field) or re.match(r"^(lesion|complication)-(\d+)()$", field)
    if match:
        part = match.group(3).replace("_", " ")
        row = f"{match.group(1).capitalize()} {int(match.group(2)) + 1}"
        return f"{row} {part}" if part else row
    return _LABELS.get(field, field)


def _form_page(
    request: Request,
    login: Login,
    *,
    values: Mapping[str, str],
    problems: Mapping[str, str],
    case: StoredCase | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "cases/form.html",
        {
            "login": login,
            "csrf": login.csrf,
            "case": case,
            "values": values,
            "problems": problems,
            "labels": {f: _label(f) for f in problems},
            "message": message,
            "lesion_rows": _row_count(values, "lesion", MIN_LESION_ROWS),
            "complication_rows": _row_count(values, "complication", MIN_COMPLICATION_ROWS),
            "accesses": [a.value for a in Access],
            "vessels": [v.value for v in Vessel],
            "kinds": [k.value for k in ComplicationKind],
            "techniques": [t.value for t in RetrievalTechnique],
            "action": f"/cases/{case.uid}/edit" if case else "/cases/new",
        },
        status_code=status_code,
        title=f"Edit case {case.patient_id}" if case else "Add a case",
    )


@router.get("/cases/new", include_in_schema=False)
def new_case_page(request: Request, login: OperatorPage) -> HTMLResponse:
    """An empty case form."""
    return _form_page(request, login, values={}, problems={})


@router.post("/cases/new", include_in_schema=False)
async def add_case(request: Request, login: OperatorForm, db: Db) -> Response:
    """Save a new case; a bad field re-shows the form with the problem beside it."""
    form = parse_case_form(await request.form())
    case = validate_case_form(form)
    if case is None:
        return _form_page(
            request, login, values=form.values, problems=form.problems, status_code=422
        )
    stored = db.cases.add(case, actor=login.username)
    return RedirectResponse(f"/cases/{stored.uid}?saved=1", status_code=303)


def _case_or_404(db: Registry, uid: str) -> StoredCase:
    try:
        return db.cases.get(uid)
    except InputError:
        raise HTTPException(404, f"No case {uid!r} in the registry.") from None


@router.get("/cases/{uid}/edit", include_in_schema=False)
def edit_case_page(request: Request, uid: str, login: OperatorPage, db: Db) -> HTMLResponse:
    """The case form filled with the stored case."""
    case = _case_or_404(db, uid)
    return _form_page(request, login, values=_values_of(case), problems={}, case=case)


@router.post("/cases/{uid}/edit", include_in_schema=False)
async def edit_case(request: Request, uid: str, login: OperatorForm, db: Db) -> Response:
    """Save changes (audited with the old and new values); a change made meanwhile is refused."""
    stored = _case_or_404(db, uid)
    form = parse_case_form(await request.form())
    try:
        version = int(form.values.get("version", ""))
    except ValueError:
        form.problems["version"] = "missing: reload the case and edit again"
        version = stored.version
    case = validate_case_form(form, uid)
    if case is None:
        return _form_page(
            request,
            login,
            values=form.values,
            problems=form.problems,
            case=stored,
            status_code=422,
        )
    changes = case.model_dump(exclude={"uid"})
    try:
        db.cases.update(uid, changes, actor=login.username, expected_version=version)
    except StoreError as exc:
        return _form_page(
            request,
            login,
            values={**form.values, "version": str(stored.version)},
            problems={},
            case=stored,
            message=f"Not saved: {exc}. The form shows your changes; the stored "
            "case is below the form's save button.",
            status_code=409,
        )
    return RedirectResponse(f"/cases/{uid}?saved=1", status_code=303)


# ---------------------------------------------------------------------- export and import


@router.get("/cases/export/{fmt}", include_in_schema=False)
def export_cases(request: Request, fmt: str, login: Viewer, db: Db) -> Response:
    """The cases matching the search as CSV, Parquet or a JSON archive with their runs."""
    if fmt not in EXPORT_FORMATS:
        raise InputError("unknown export format", {"format": f"{fmt!r}: csv, parquet or json"})
    query, values, problems = parse_filter(request.query_params)
    if problems:
        raise InputError("bad search", problems)
    media, suffix = EXPORT_FORMATS[fmt]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cases{suffix}"
        if fmt == "json":
            count = export_archive(db, path, where=query)
        else:
            count = export_table(db, path, fmt=fmt, where=query)
        content = path.read_bytes()
    db.audit.record(
        actor=login.username,
        action="export",
        entity="cases",
        entity_id=fmt,
        detail={"cases": count, "filter": {k: v for k, v in values.items() if v}},
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        content,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="cases-{stamp}{suffix}"'},
    )


def _import_page(
    request: Request,
    login: Login,
    *,
    problems: Mapping[str, str] | None = None,
    message: str | None = None,
    imported: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "cases/import.html",
        {
            "login": login,
            "csrf": login.csrf,
            "problems": problems or {},
            "message": message,
            "imported": imported,
        },
        status_code=status_code,
        title="Import cases",
    )


@router.get("/cases/import", include_in_schema=False)
def import_page(request: Request, login: OperatorPage) -> HTMLResponse:
    """The import form (CSV, Parquet or a JSON archive)."""
    done = request.query_params.get("imported")
    return _import_page(request, login, imported=int(done) if done and done.isdigit() else None)


@router.post("/cases/import", include_in_schema=False)
async def import_cases(request: Request, login: OperatorForm, db: Db) -> Response:
    """Import a file: all rows or none; every bad row is listed by row and field."""
    form = await request.form()
    try:
        return await _import_upload(request, login, db, form.get("file"))
    finally:
        await form.close()


async def _import_upload(request: Request, login: Login, db: Registry, upload: object) -> Response:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(
            request, login, problems={"file": "choose a file to import"}, status_code=422
        )
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in {s for _m, s in EXPORT_FORMATS.values()}:
        return _import_page(
            request,
            login,
            problems={"file": f"{upload.filename!r}: name a .csv, .parquet or .json file"},
            status_code=422,
        )
    content = await upload.read()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(upload.filename).name)[-100:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            importer = import_archive if suffix == ".json" else import_table
            added = await run_in_threadpool(importer, db, path, actor=login.username)
        except InputError as exc:
            return _import_page(
                request,
                login,
                problems=exc.problems,
                message=str(exc),
                status_code=422,
            )
    return RedirectResponse(f"/cases/import?imported={added}", status_code=303)


# ---------------------------------------------------------------------- quality dashboard


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


def _svg(data: bytes) -> Markup:
    text = data.decode("utf-8")
    start = text.find("<svg")
    return Markup(text[start:] if start >= 0 else text)


@router.get("/quality", include_in_schema=False)
def quality_page(request: Request, login: Viewer, db: Db) -> HTMLResponse:
    """Rates with Wilson 95% intervals, overall, by year and by operator, beside the literature."""
    query, values, problems = parse_filter(request.query_params)
    context: dict[str, Any] = {
        "login": login,
        "values": values,
        "problems": problems,
        "kinds": [k.value for k in ComplicationKind],
        "metrics": DASHBOARD_METRICS,
        "overall": [],
        "by_year": [],
        "by_operator": [],
        "plot": None,
        "sources": [],
        "total": 0,
        "synthetic": 0,
        "demo": request.app.state.settings.demo,
    }
    if not problems:
        try:
            overall = compare(registry_rates(db, query))
            context["total"] = overall[0].rate.total if overall else 0
            context["synthetic"] = _synthetic_count(db, query)
            context["overall"] = [comparison_view(c) for c in overall]
            context["sources"] = sources_view(
                [key for c in overall for f in c.figures for key in f.sources]
            )
            context["by_year"] = grouped_view(registry_rates(db, query, Grouping.year))
            context["by_operator"] = grouped_view(registry_rates(db, query, Grouping.operator))
            if context["total"]:
                note = (
                    f"{context['synthetic']} of the {context['total']} cases counted are "
                    "synthetic demonstration data, not a real registry"
                    if context["synthetic"]
                    else None
                )
                context["plot"] = _svg(rates_plot(overall, "svg", note=note))
        except InputError as exc:
            problems.update(exc.problems)
    return render(
        request,
        "cases/dashboard.html",
        context,
        status_code=422 if problems else 200,
        title="Quality dashboard",
    )


# ---------------------------------------------------------------------- one case


def _case_page(
    request: Request,
    login: Login,
    db: Registry,
    case: StoredCase,
    *,
    problems: dict[str, str] | None = None,
    run_value: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    attachable = [run for run in db.runs.find(limit=30) if run.case_uid is None]
    return render(
        request,
        "cases/show.html",
        {
            "login": login,
            "csrf": login.csrf,
            "can_edit": login.user.role.allows(Role.operator),
            "case": case,
            "synthetic": is_synthetic(case),
            "audit": db.audit.entries(entity="case", entity_id=case.uid, limit=50),
            "attachable": attachable,
            "problems": problems or {},
            "run_value": run_value,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
        title=f"Case {case.patient_id}",
    )


@router.get("/cases/{uid}", include_in_schema=False)
def case_page(request: Request, uid: str, login: Viewer, db: Db) -> HTMLResponse:
    """One case: its details, complications, protocol runs and audit history."""
    return _case_page(request, login, db, _case_or_404(db, uid))


@router.post("/cases/{uid}/runs", include_in_schema=False)
async def attach_run(request: Request, uid: str, login: OperatorForm, db: Db) -> Response:
    """Attach a stored protocol run to this case (the run's events are unchanged)."""
    case = _case_or_404(db, uid)
    form = await request.form()
    run_id = form.get("run_id")
    run_id = run_id.strip() if isinstance(run_id, str) else ""
    if not run_id:
        return _case_page(request, login, db, case, problems={"run_id": "missing"}, status_code=422)
    try:
        db.runs.attach(run_id, uid, actor=login.username)
    except InputError as exc:
        problems = {"run_id": "; ".join(exc.problems.values()) or str(exc)}
        return _case_page(
            request, login, db, case, problems=problems, run_value=run_id, status_code=422
        )
    except StoreError as exc:
        return _case_page(
            request,
            login,
            db,
            case,
            problems={"run_id": str(exc)},
            run_value=run_id,
            status_code=409,
        )
    return RedirectResponse(f"/cases/{uid}#runs", status_code=303)
