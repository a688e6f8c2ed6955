"""``make run``'s demo: the demo user logged in automatically, on the demo database only.

When the app runs with ``--demo`` on the separate demo database (synthetic cases
only, see :func:`stentguide.web.settings.demo_database_url`), a request without a
session cookie is given one for the demo admin, so the demo stays one command.
On any other database nothing happens here and every run needs a real login.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DemoAutoLogin", "demo_database_in_use"]


def demo_database_in_use(app: FastAPI) -> bool:
    """Whether the app runs in demo mode on the demo database (never on real data)."""
    from stentguide.web.settings import demo_database_url

    settings = app.state.settings
    return bool(settings.demo) and settings.resolved_database_url() == demo_database_url()


class DemoAutoLogin:
    """Adds the demo admin's session cookie to a request that has none (pure ASGI)."""

    def __init__(
        self, app: ASGIApp, owner: FastAPI, username: str, cookie: str, generation: int = 0
    ) -> None:
        self.app = app
        self.owner = owner
        self.username = username
        self.cookie = cookie
        self.generation = generation  # the demo admin's: a token without it is refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        raw = b"; ".join(v for k, v in headers if k == b"cookie").decode("latin-1")
        jar = SimpleCookie()
        jar.load(raw)
        if self.cookie in jar:
            await self.app(scope, receive, send)
            return
        from stentguide.web.auth import token_signer

        token = token_signer(self.owner).session_token(self.username, self.generation)
        pair = f"{self.cookie}={token}"
        headers = [(k, v) for k, v in headers if k != b"cookie"]
        headers.append((b"cookie", (f"{raw}; {pair}" if raw else pair).encode("latin-1")))
        scope = {**scope, "headers": headers}

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = f"{pair}; Path=/; HttpOnly; SameSite=Lax".encode("latin-1")
                message = {**message, "headers": [*message["headers"], (b"set-cookie", extra)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
