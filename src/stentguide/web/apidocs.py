"""The interactive API docs at ``/docs``, with every asset served by this app (no CDN).

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from a public
CDN; they are switched off and replaced by a ``/docs`` page whose script and
style come from ``/docs-assets/``, the Swagger UI 5 build that the
``fastapi-offline`` package ships. The page's one inline script (Swagger UI's
start-up call) is allowed by its hash in the page's own Content-Security-Policy.
In production the docs are off unless asked for (:attr:`Settings.docs`).
"""

from __future__ import annotations

import importlib.resources
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from stentguide.web.headers import CONTENT_SECURITY_POLICY, script_hash

__all__ = ["ASSETS_PATH", "install_api_docs"]

ASSETS_PATH = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _page(app: FastAPI) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
    )
    html = bytes(page.body).decode()
    hashes = " ".join(script_hash(source) for source in _INLINE_SCRIPT.findall(html))
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}")
    return HTMLResponse(html, headers={"content-security-policy": policy})


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets from this app."""
    assets = importlib.resources.files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return _page(app)
