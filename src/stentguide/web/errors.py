"""How stentguide's errors become HTTP answers, for the JSON API and for the pages.

The JSON API answers like FastAPI's own validation: status 422 with ``detail`` a
list of ``{loc, msg, type}``, one per offending field, so a client can mark each
field. A thing that does not exist is 404; a step that no longer applies (the
run moved on, nothing to undo) is 409. Pages show the same message in the page
layout with the same status code, so the core path needs no JavaScript.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from stentguide import errors
from stentguide.errors import (
    DeviceError,
    InputError,
    SessionError,
    StentguideError,
    StoreError,
    UnknownNameError,
)
from stentguide.web.limits import truncate_list, truncate_problems
from stentguide.web.templating import render

__all__ = ["NotFoundError", "field_errors", "install_error_handlers", "is_api"]


class NotFoundError(errors.NotFoundError):
    """A path names a protocol, run, device or score that does not exist (HTTP 404).

    The core's :class:`stentguide.errors.NotFoundError` with the close names of an
    unknown name (:class:`~stentguide.errors.UnknownNameError`) in its message;
    :func:`stentguide.web.lookup.find_or_404` raises it.
    """

    def __init__(self, kind: str, name: str, suggestions: list[str] | None = None) -> None:
        super().__init__(kind, name)
        self.suggestions = suggestions or []
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        self.args = (f"no {kind} {name!r}{hint}",)


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (answers in JSON) rather than a page."""
    path = request.url.path
    return path.startswith(("/api/", "/cds-services")) or path == "/api"


def field_errors(exc: InputError, where: str = "body") -> list[dict[str, Any]]:
    """The problems of an :class:`InputError` as FastAPI-style ``detail`` entries."""
    if isinstance(exc, UnknownNameError):
        return [{"loc": [where, exc.kind], "msg": str(exc), "type": "unknown_name"}]
    if not exc.problems:
        return [{"loc": [where], "msg": str(exc), "type": "value_error"}]
    return [
        {"loc": [where, *field.split(".")], "msg": why, "type": "value_error"}
        for field, why in exc.problems.items()
    ]


def _status(exc: StentguideError) -> int:
    if isinstance(exc, errors.NotFoundError):
        return 404
    if isinstance(exc, InputError | DeviceError):
        return 422
    if isinstance(exc, SessionError):
        return 409
    if isinstance(exc, StoreError):
        return 503
    return 500


def _page(request: Request, status: int, message: str, problems: dict[str, str]) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "problems": problems},
        status_code=status,
        title="Something needs fixing" if status < 500 else "Server problem",
    )


async def _stentguide_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StentguideError)
    status = _status(exc)
    if is_api(request):
        if isinstance(exc, InputError) and status != 404:
            detail: Any = truncate_list(field_errors(exc))
        else:
            detail = str(exc)
        return JSONResponse({"detail": detail}, status_code=status)
    problems = (
        truncate_problems(exc.problems) if isinstance(exc, InputError) and status != 404 else {}
    )
    return _page(request, status, _short(exc, problems), problems)


def _short(exc: StentguideError, problems: dict[str, str]) -> str:
    """The error's message, without the list of problems when that list was cut."""
    if isinstance(exc, InputError) and len(problems) < len(exc.problems) and problems:
        return str(exc).split(" (", 1)[0]
    return str(exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = truncate_list(
        [
            {
                "loc": list(e.get("loc", ()))[:8],
                "msg": str(e.get("msg", ""))[:500],
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
    )
    if is_api(request):
        return JSONResponse({"detail": errors}, status_code=422)
    problems = {".".join(str(p) for p in e["loc"][1:]) or "request": e["msg"] for e in errors}
    return _page(request, 422, "The request has missing or invalid fields.", problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if is_api(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    message = "No such page." if exc.status_code == 404 else str(exc.detail)
    return _page(request, exc.status_code, message, {})


async def _unstorable_value(request: Request, exc: Exception) -> Response:
    """A value the database refuses (a NUL character in text, a number beyond its range): 422.

    SQLite stores what PostgreSQL refuses, so the same request must not be a
    server error on one of them; nothing was written (the transaction rolled back).
    """
    assert isinstance(exc, sa.exc.DataError)
    reason = str(exc.orig).splitlines()[0][:200] if exc.orig is not None else "invalid value"
    message = f"A value in the request cannot be stored or searched: {reason}."
    if is_api(request):
        detail = [{"loc": ["request"], "msg": message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    return _page(request, 422, message, {})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(sa.exc.DataError, _unstorable_value)
    app.add_exception_handler(StentguideError, _stentguide_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
