"""Who may start, read and change a protocol run (see "Access" in ``docs/web.md``).

A run is data about one patient's procedure, so every run page and API call
needs a login: reading a run (its step page, record, flowchart and the team
display) needs the viewer role; starting a run, answering, acknowledging,
undoing, stopping, declaring devices and attaching it to a case need the
operator role. Form posts also carry the login's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stentguide.cases.users import Role
from stentguide.web.auth import Login, require, require_form

__all__ = ["Operator", "OperatorForm", "Reader", "operator", "operator_form", "reader"]

_read = require(Role.viewer)
_write = require(Role.operator)
_write_form = require_form(Role.operator)


async def reader(request: Request) -> Login:
    """The login of a request that reads a run (viewer or higher).

    The login checks read only what the login middleware found, so they are
    async: FastAPI runs them on the event loop instead of handing each to a thread.
    """
    return _read(request)


async def operator(request: Request) -> str:
    """The username of a request that changes a run through the JSON API (operator or higher)."""
    return _write(request).username


async def operator_form(request: Request) -> str:
    """The username of a form post that changes a run (operator, valid CSRF token)."""
    return (await _write_form(request)).username


Reader = Annotated[Login, Depends(reader)]
Operator = Annotated[str, Depends(operator)]
OperatorForm = Annotated[str, Depends(operator_form)]
