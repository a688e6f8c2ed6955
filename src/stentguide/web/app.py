"""The app factory: one FastAPI app with a router per module under ``web/routes``.

:func:`create_app` opens the registry named by the settings, seeds the demo
content when asked, serves the vendored static files, installs the error
handlers and includes every routes module it finds (each exposes ``router``
and, optionally, ``NAV`` links; see ``docs/web.md``). Page routes are left out of
the OpenAPI document, which describes the JSON API under ``/api/`` and the CDS Hooks
endpoints under ``/cds-services`` (paths fixed by that specification) only. In front
of every route sit the request size limit (:mod:`stentguide.web.limits`) and the
security headers (:mod:`stentguide.web.headers`); see ``docs/security.md``.
"""

from __future__ import annotations

import gc
import importlib
import importlib.resources
import pkgutil
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from stentguide import DISCLAIMER, __version__
from stentguide.cases import Registry
from stentguide.web import routes as routes_package
from stentguide.web.apidocs import install_api_docs
from stentguide.web.auth import install_login
from stentguide.web.errors import install_error_handlers
from stentguide.web.headers import SecurityHeadersMiddleware
from stentguide.web.limits import BodyLimitMiddleware
from stentguide.web.navigation import NavLink
from stentguide.web.openapi import document_error_responses
from stentguide.web.settings import Settings
from stentguide.web.templating import build_templates

__all__ = ["create_app", "route_modules"]

_DESCRIPTION = f"""\
The JSON API of stentguide: management pathways run step by step, the device
catalogue and compatibility arithmetic, published risk scores and patient
leaflets. Every page of the web app is built on these endpoints' core calls.

**{DISCLAIMER}**

Errors: 422 with `detail` listing `{{loc, msg, type}}` for each bad field; 404
for an unknown id; 409 when a step no longer applies (the run has moved on).
"""


def route_modules() -> list[ModuleType]:
    """Every module of :mod:`stentguide.web.routes` that exposes a ``router``, by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(routes_package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{routes_package.__name__}.{info.name}")
        if isinstance(getattr(module, "router", None), APIRouter):
            found.append(module)
    return found


def _seed_demo(registry: Registry, count: int) -> None:
    if registry.cases.count() > 0:
        return
    from stentguide.cases.demo import demo_cases

    registry.cases.add_many(demo_cases(count), actor="demo")


def _warm_up_in_background() -> None:
    """Prepare the leaflet PDF renderer without holding up the server's start."""
    from stentguide.leaflets.render import warm_up

    def run() -> None:
        warm_up()
        gc.freeze()

    threading.Thread(target=run, name="leaflet-warm-up", daemon=True).start()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app for ``settings`` (defaults: the registry's default database)."""
    settings = settings or Settings()
    registry = Registry.open(settings.resolved_database_url())
    try:
        if settings.demo:
            _seed_demo(registry, settings.demo_cases)
    except BaseException:
        registry.close()
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            _warm_up_in_background()
            gc.freeze()  # what start-up built lives as long as the process: no GC pass walks it
        yield
        registry.close()

    app = FastAPI(
        title="stentguide",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    modules = route_modules()
    nav: list[NavLink] = sorted(link for m in modules for link in getattr(m, "NAV", ()))
    app.state.settings = settings
    app.state.registry = registry
    app.state.templates = build_templates(nav)
    static = importlib.resources.files("stentguide.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    install_error_handlers(app)
    document_error_responses(app)
    install_login(app)
    if settings.docs_enabled:
        install_api_docs(app)
    app.state.cds_trust = None
    if settings.cds_clients:
        from stentguide.interop.cds_hooks.trust import ClientTrust

        app.state.cds_trust = ClientTrust(settings.cds_clients)
    app.state.oidc = None
    if settings.oidc is not None:
        from stentguide.web.oidc import install_oidc

        install_oidc(app, settings.oidc)
    for module in modules:
        app.include_router(module.router)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
