"""Optional single sign-on with a hospital's OpenID Connect provider (authlib).

Off unless configured (``$STENTGUIDE_OIDC_ISSUER``, ``$STENTGUIDE_OIDC_CLIENT_ID``,
``$STENTGUIDE_OIDC_CLIENT_SECRET``, optionally ``$STENTGUIDE_OIDC_USERNAME_CLAIM``;
install the ``oidc`` extra). The login page then offers "Log in with the hospital
account": the browser goes to the provider (authorisation code flow with PKCE,
``state`` and ``nonce``), comes back to ``/login/oidc/callback``, and the app
checks the ID token (signature from the provider's published keys, issuer,
audience, expiry, nonce) with authlib. The claim named by ``username_claim``
must name an existing, active local user: single sign-on proves who someone is,
while roles stay with the local user list managed by an admin, and an unknown
person gets no account. The session that follows is an ordinary login session
(revocable, audited under the username).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from stentguide.cases.users import UserStore
from stentguide.errors import InputError, StentguideError
from stentguide.web.settings import OidcSettings

__all__ = ["OIDC_ENV", "OidcSettings", "install_oidc", "oidc_from_env"]

OIDC_ENV = {
    "issuer": "STENTGUIDE_OIDC_ISSUER",
    "client_id": "STENTGUIDE_OIDC_CLIENT_ID",
    "client_secret": "STENTGUIDE_OIDC_CLIENT_SECRET",
    "username_claim": "STENTGUIDE_OIDC_USERNAME_CLAIM",
}
_STATE_COOKIE = "stentguide_oidc"


def oidc_from_env() -> OidcSettings | None:
    """The provider named by the environment, or ``None`` when single sign-on is off."""
    issuer = os.environ.get(OIDC_ENV["issuer"], "").strip()
    if not issuer:
        return None
    client_id = os.environ.get(OIDC_ENV["client_id"], "").strip()
    if not client_id:
        raise InputError(
            "single sign-on is half configured", {OIDC_ENV["client_id"]: "missing"}
        )
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=os.environ.get(OIDC_ENV["client_secret"], ""),
        username_claim=os.environ.get(OIDC_ENV["username_claim"], "") or "preferred_username",
    )


def _refused(message: str) -> HTTPException:
    return HTTPException(403, message)


def install_oidc(app: FastAPI, config: OidcSettings) -> None:
    """Add the ``/login/oidc`` routes (needs the ``oidc`` extra: authlib and httpx)."""
    try:
        from authlib.integrations.starlette_client import OAuth, OAuthError
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise StentguideError(
            "single sign-on needs authlib and httpx: pip install 'stentguide[oidc]'"
        ) from exc
    from stentguide.web.routes.auth import set_session_cookie

    settings = app.state.settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=_STATE_COOKIE,
        max_age=600,
        same_site="lax",
        https_only=settings.production,
    )
    oauth = OAuth()
    oauth.register(
        name="hospital",
        server_metadata_url=config.metadata_url,
        client_id=config.client_id,
        client_secret=config.client_secret or None,
        client_kwargs={"scope": config.scope, "code_challenge_method": "S256"},
    )
    client: Any = oauth.create_client("hospital")
    app.state.oidc = config

    @app.get("/login/oidc", include_in_schema=False)
    async def oidc_start(request: Request) -> Response:
        redirect_uri = str(request.url_for("oidc_callback"))
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    @app.get("/login/oidc/callback", include_in_schema=False, name="oidc_callback")
    async def oidc_callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            raise _refused(f"The hospital login did not complete ({exc.error}).") from None
        claims = token.get("userinfo") or {}
        username = claims.get(config.username_claim)
        if not isinstance(username, str) or not username:
            raise _refused(f"The hospital login gave no {config.username_claim!r}; ask an admin.")
        try:
            user = await run_in_threadpool(UserStore(app.state.registry).get, username)
        except InputError:
            user = None
        if user is None or not user.active:
            raise _refused(f"{username!r} has no active account here; ask an admin to add one.")
        response = RedirectResponse("/cases", status_code=303)
        set_session_cookie(request, response, user)
        return response

