"""Jinja2 rendering shared by every page: the base template's globals and one render call.

Templates live in ``web/templates`` (one folder per routes module) and extend
``base.html``, which draws the navigation, the disclaimer and the vendored
assets. Autoescaping is on for every template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from stentguide import DISCLAIMER, __version__
from stentguide.web.navigation import NavLink

__all__ = ["build_templates", "render"]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _number(value: float | int | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def build_templates(nav: Sequence[NavLink]) -> Jinja2Templates:
    """The template set of one app, with the navigation and disclaimer as globals."""
    env = Environment(
        loader=PackageLoader("stentguide.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(disclaimer=DISCLAIMER, version=__version__, nav=list(nav))
    env.filters.update(clock=_clock, number=_number)
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    title: str | None = None,
) -> HTMLResponse:
    """Render ``template`` with ``context``; ``title`` names the page in the browser tab."""
    templates: Jinja2Templates = request.app.state.templates
    values: dict[str, Any] = {
        "title": title,
        "current_path": request.url.path,
        "login": getattr(request.state, "login", None),
        "run_mode": False,
    }
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)
