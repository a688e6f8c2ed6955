"""The registry's files: export the cases a search finds, import a CSV, Parquet or JSON file.

An export is the core's :func:`stentguide.cases.exchange.export_cases`, the one
``stentguide cases export`` calls: the same file and the same audit line, named
after the logged-in user. An import is all-or-nothing, every bad row listed by
row and field. (This module's routes are included before ``cases``'s, so that
``/cases/import`` is not read as the case ``import``.)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stentguide.cases.exchange import export_cases, export_format, import_archive, import_table
from stentguide.cases.search import parse_search
from stentguide.errors import InputError, StoreError
from stentguide.web.auth import Login
from stentguide.web.routes._registry import Db, OperatorForm, OperatorPage, Viewer
from stentguide.web.templating import render

router = APIRouter()
_CHUNK = 1024 * 1024
"""Uploads are copied to the import's temporary file a MiB at a time."""

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
}


@router.get("/cases/export/{fmt}", include_in_schema=False)
def export_page(request: Request, fmt: str, login: Viewer, db: Db) -> Response:
    """The cases matching the search as CSV, Parquet or a JSON archive with their runs."""
    kind = export_format(fmt)
    where = parse_search(request.query_params)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cases.{kind}"
        export_cases(db, path, fmt=kind, where=where, actor=login.username)
        content = path.read_bytes()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        content,
        media_type=MEDIA_TYPES[kind],
        headers={"content-disposition": f'attachment; filename="cases-{stamp}.{kind}"'},
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
async def import_cases(
    request: Request,
    login: OperatorForm,
    db: Db,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import a file: all rows or none; every bad row is listed by row and field."""
    if file is None or not file.filename:
        return _import_page(
            request, login, problems={"file": "choose a file to import"}, status_code=422
        )
    suffix = Path(file.filename).suffix.lower()
    if suffix.lstrip(".") not in MEDIA_TYPES:
        return _import_page(
            request,
            login,
            problems={"file": f"{file.filename!r}: name a .csv, .parquet or .json file"},
            status_code=422,
        )
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(file.filename).name)[-100:]
    max_rows = request.app.state.settings.max_import_rows
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        # the parser has spooled the upload to disk; copy it in chunks, never whole
        await run_in_threadpool(_copy_upload, file, path)
        try:
            importer = import_archive if suffix == ".json" else import_table
            added = await run_in_threadpool(
                importer, db, path, actor=login.username, max_rows=max_rows
            )
        except InputError as exc:
            return _import_page(
                request, login, problems=exc.problems, message=str(exc), status_code=422
            )
        except StoreError as exc:  # the registry refused it (a run of another case...)
            return _import_page(
                request, login, message=f"{exc}; nothing was imported", status_code=409
            )
    return RedirectResponse(f"/cases/import?imported={added}", status_code=303)


def _copy_upload(upload: UploadFile, path: Path) -> None:
    upload.file.seek(0)
    with path.open("wb") as target:
        shutil.copyfileobj(upload.file, target, _CHUNK)
