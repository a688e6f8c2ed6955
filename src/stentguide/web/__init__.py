"""The web face of stentguide: server-rendered pages and a JSON API (FastAPI + Jinja2).

>>> from stentguide.web import Settings, create_app
>>> app = create_app(Settings(database_url="sqlite:///:memory:"))  # doctest: +SKIP

Routes only parse, call the core package and render; clinical rules live in
the core. See ``docs/web.md`` for the pages, the API and how a routes module
plugs in.
"""

from __future__ import annotations

from stentguide.web.app import create_app, route_modules
from stentguide.web.navigation import NavLink
from stentguide.web.settings import Settings

__all__ = ["NavLink", "Settings", "create_app", "route_modules"]
