"""The registry's case pages: the case list, one case, the case form (add and edit), runs.

Every change goes through :class:`stentguide.cases.Registry` with the logged-in
username as ``actor``, so the audit log says who and when. The routes read, call
the core and render: the search is the core's
(:func:`stentguide.cases.search.parse_search`), the form's inputs follow
:class:`stentguide.cases.CaseIn` (:mod:`stentguide.web.case_form`), and the
synthetic-data sentence is :func:`stentguide.cases.search.synthetic_warning`.
Import and export are in :mod:`.case_files`, the quality dashboard in
:mod:`.quality`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stentguide.cases import Registry, StoredCase
from stentguide.cases.demo import SYNTHETIC_OUTCOME
from stentguide.cases.exchange import EXPORT_FORMATS
from stentguide.cases.search import SEARCH_CHOICES, count_synthetic, synthetic_warning
from stentguide.cases.users import Role
from stentguide.errors import InputError, StoreError
from stentguide.web import case_form
from stentguide.web.auth import Login
from stentguide.web.case_form import CaseForm
from stentguide.web.lookup import CaseInPath
from stentguide.web.navigation import NavLink
from stentguide.web.routes._registry import Db, OperatorForm, OperatorPage, Viewer, read_search
from stentguide.web.templating import render

router = APIRouter()
NAV = (NavLink(60, "Cases", "/cases"),)

PAGE_SIZE = 50
PostedCase = Annotated[case_form.CaseFormIn, Form()]


def _query_string(values: Mapping[str, str], **extra: str | int) -> str:
    kept: dict[str, str | int] = {k: v for k, v in values.items() if v}
    kept.update(extra)
    return urlencode(kept)


# ---------------------------------------------------------------------- list


MAX_PAGE = 1_000_000
"""The last page number a search may ask for."""


@router.get("/cases", include_in_schema=False)
def cases_page(request: Request, login: Viewer, db: Db) -> HTMLResponse:
    """Cases matching the search, newest first, a page at a time."""
    query, values, problems = read_search(request.query_params)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        problems["page"] = "must be a whole number"
        page = 1
    if page > MAX_PAGE:  # an offset past what the databases' integers hold
        problems["page"] = f"must be 1 to {MAX_PAGE:,}"
        page = 1
    found: list[StoredCase] = []
    total = 0
    warning = None
    if query is not None and not problems:
        total = db.cases.count(query)
        found = db.cases.find(query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        warning = synthetic_warning(count_synthetic(db, query), total)
    return render(
        request,
        "cases/list.html",
        {
            "login": login,
            "can_edit": login.user.role.allows(Role.operator),
            "cases": found,
            "total": total,
            "synthetic_warning": warning,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "values": values,
            "problems": problems,
            "filter_choices": SEARCH_CHOICES,
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
            "inputs": case_form.case_inputs(),
            "values": values,
            "problems": problems,
            "labels": {f: case_form.label(f) for f in problems},
            "message": message,
            "lesion_rows": case_form.row_count(values, "lesion"),
            "complication_rows": case_form.row_count(values, "complication"),
            **case_form.row_choices(),
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
def add_case(request: Request, login: OperatorForm, db: Db, posted: PostedCase) -> Response:
    """Save a new case; a bad field re-shows the form with the problem beside it."""
    form = CaseForm.posted(posted)
    case = form.validate()
    if case is None:
        return _form_page(
            request, login, values=form.values, problems=form.problems, status_code=422
        )
    stored = db.cases.add(case, actor=login.username)
    return RedirectResponse(f"/cases/{stored.uid}?saved=1", status_code=303)


@router.get("/cases/{uid}/edit", include_in_schema=False)
def edit_case_page(request: Request, login: OperatorPage, case: CaseInPath) -> HTMLResponse:
    """The case form filled with the stored case."""
    return _form_page(request, login, values=CaseForm.of(case).values, problems={}, case=case)


@router.post("/cases/{uid}/edit", include_in_schema=False)
def edit_case(
    request: Request, login: OperatorForm, db: Db, stored: CaseInPath, posted: PostedCase
) -> Response:
    """Save changes (audited with the old and new values); a change made meanwhile is refused."""
    form = CaseForm.posted(posted)
    try:
        version = int(form.values.get("version", ""))
    except ValueError:
        form.problems["version"] = "missing: reload the case and edit again"
        version = stored.version
    case = form.validate(stored.uid)
    if case is None:
        return _form_page(
            request, login, values=form.values, problems=form.problems, case=stored, status_code=422
        )
    try:
        db.cases.update(
            stored.uid,
            case.model_dump(exclude={"uid"}),
            actor=login.username,
            expected_version=version,
        )
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
    return RedirectResponse(f"/cases/{stored.uid}?saved=1", status_code=303)


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
            "synthetic": case.outcome == SYNTHETIC_OUTCOME,
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
def case_page(request: Request, login: Viewer, db: Db, case: CaseInPath) -> HTMLResponse:
    """One case: its details, complications, protocol runs and audit history."""
    return _case_page(request, login, db, case)


@router.post("/cases/{uid}/runs", include_in_schema=False)
def attach_run(
    request: Request,
    login: OperatorForm,
    db: Db,
    case: CaseInPath,
    run_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Attach a stored protocol run to this case (the run's events are unchanged)."""
    run_id = run_id.strip()
    if not run_id:
        return _case_page(request, login, db, case, problems={"run_id": "missing"}, status_code=422)
    try:
        db.runs.attach(run_id, case.uid, actor=login.username)
    except InputError as exc:
        problems = {"run_id": "; ".join(exc.problems.values()) or str(exc)}
        return _case_page(
            request, login, db, case, problems=problems, run_value=run_id, status_code=422
        )
    except StoreError as exc:
        return _case_page(
            request, login, db, case, problems={"run_id": str(exc)}, run_value=run_id,
            status_code=409,
        )
    return RedirectResponse(f"/cases/{case.uid}#runs", status_code=303)
