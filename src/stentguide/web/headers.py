"""Security headers on every answer, and ``Cache-Control: no-store`` on everything but assets.

:class:`SecurityHeadersMiddleware` (pure ASGI) adds, unless a route set its own:

``Content-Security-Policy``
    Scripts only from this site (the vendored htmx), no plugins, no framing
    (``frame-ancestors 'none'``), forms post only here. Inline styles are allowed
    (htmx and the case pages use them); inline scripts are not, except the one
    ``window.print()`` handler of the run record, allowed by its hash.
``X-Frame-Options: DENY``
    The same refusal of framing for older browsers.
``X-Content-Type-Options: nosniff``
    Files are taken for the type the server names.
``Referrer-Policy: same-origin``
    No address of this site (which may carry a case id) leaves it in a Referer.
``Cache-Control: no-store``
    On every page and API answer (case pages, exports, runs): nothing with case
    data is kept in a browser or proxy cache. Static assets under ``/static/`` may
    be cached.
``Strict-Transport-Security``
    When the request came over HTTPS (directly or through a proxy whose
    ``X-Forwarded-Proto`` uvicorn trusts), browsers are told to keep to HTTPS.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeadersMiddleware", "script_hash"]


def script_hash(source: str) -> str:
    """The CSP source expression allowing exactly one inline script or handler."""
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-hashes' {script_hash('window.print()')}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

_STATIC_PREFIXES = ("/static/", "/docs-assets/")


class SecurityHeadersMiddleware:
    """Add the headers above to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        cacheable = path.startswith(_STATIC_PREFIXES)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                wanted: list[tuple[bytes, bytes]] = [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not cacheable:
                    wanted.append((b"cache-control", b"no-store"))
                if https:
                    wanted.append((b"strict-transport-security", b"max-age=31536000"))
                headers.extend((k, v) for k, v in wanted if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
