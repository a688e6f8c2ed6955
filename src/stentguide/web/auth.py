"""Login for the web app: signed session cookies, roles and CSRF checks.

The rule the app follows: reading the pathways, the device checker, the risk
calculators and the leaflets needs no login; protocol runs (see
:mod:`stentguide.web.run_access`) and anything that shows or changes registry
cases (the case pages, import and export, the quality dashboard) need a login,
and managing users needs the admin role (roles are ordered viewer < operator < admin, see
:class:`stentguide.cases.users.Role`).

A login sets an HttpOnly, SameSite=Lax browser-session cookie holding a token signed
by :class:`stentguide.cases.tokens.TokenSigner` with the app's secret key; it names
the user and expires after the signer's ``session_seconds`` (the server checks the
age, so the login page can say that a session has ended). The token also carries the
user's session generation, and the server accepts it only while the user's
generation is unchanged: logout, a password change, a role change and deactivation
raise it, so a copied cookie stops working at once. Every form that changes data
carries a CSRF token bound to the login session (OWASP synchroniser-token pattern);
the login form itself carries one bound to a random pre-login cookie, so a
third-party page cannot log a browser into someone else's account.

:func:`install_login` adds the middleware that names the logged-in user as the
audit actor (``request.state.actor``) for every route, the handler that sends a
page request without a valid login to the login page, the login throttle, and,
in demo mode on a database that holds no real cases, a demo admin account whose
password is made afresh at every start. Started without demo mode, the app
deactivates a demo admin left from an earlier demo start.
"""

from __future__ import annotations

import functools
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from stentguide.cases import Registry
from stentguide.cases.demo import holds_real_data
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import Role, User, UserStore
from stentguide.errors import InputError, StentguideError
from stentguide.web.demo_login import DemoAutoLogin, demo_database_in_use
from stentguide.web.deps import ACTOR_STATE
from stentguide.web.errors import is_api
from stentguide.web.throttle import LoginThrottle

__all__ = [
    "CSRF_FIELD",
    "DEMO_ADMIN",
    "PRELOGIN_COOKIE",
    "SESSION_COOKIE",
    "DemoLogin",
    "Login",
    "LoginRequiredError",
    "check_csrf",
    "current_login",
    "install_login",
    "login_csrf",
    "require",
    "require_form",
    "retire_demo_admin",
    "safe_next",
    "token_signer",
]

SESSION_COOKIE = "stentguide_session"
PRELOGIN_COOKIE = "stentguide_prelogin"
CSRF_FIELD = "csrf_token"
DEMO_ADMIN = "demo-admin"


@dataclass(frozen=True)
class Login:
    """The logged-in user of a request, the session token and the CSRF token for its forms."""

    user: User
    session_token: str
    signer: TokenSigner = field(repr=False, compare=False)

    @functools.cached_property
    def csrf(self) -> str:
        """The CSRF token for this login's forms, signed when a page first asks for it.

        Most logged-in requests (the JSON API) show no form: signing a token for each
        cost about as much as checking the session cookie.
        """
        return self.signer.csrf_token(self.session_token)

    @property
    def username(self) -> str:
        return self.user.username


@dataclass(frozen=True)
class DemoLogin:
    """The demo admin account made at start in demo mode (shown on the login page).

    ``generation`` is the account's session generation: a session token made for
    it must carry it (``token_signer(app).session_token(username, generation)``).
    """

    username: str
    password: str
    generation: int = 0


class LoginRequiredError(StentguideError):
    """A page or API call needs a login and the request has none (or it has expired)."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired
        super().__init__("your session has ended; log in again" if expired else "log in first")


def token_signer(app: Any) -> TokenSigner:
    """The app's :class:`TokenSigner`, built from the settings' secret key on first use.

    A deployment (or a test) may set ``app.state.token_signer`` before serving to
    change the session lifetime.
    """
    signer = getattr(app.state, "token_signer", None)
    if not isinstance(signer, TokenSigner):
        signer = TokenSigner(app.state.settings.secret_key)
        app.state.token_signer = signer
    return signer


def _registry(app: Any) -> Registry:
    value: Registry = app.state.registry
    return value


def _active_user(registry: Registry, username: str, generation: int) -> User | None:
    try:
        user = UserStore(registry).get(username)
    except InputError:
        return None
    return user if user.active and user.session_generation == generation else None


class _LoginMiddleware:
    """Reads the session cookie and names its user on ``request.state`` (pure ASGI)."""

    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            request = Request(scope)
            token = request.cookies.get(SESSION_COOKIE)
            if token:
                signer = token_signer(self.owner)
                claims = signer.session_claims(token)
                user = (
                    await run_in_threadpool(_active_user, _registry(self.owner), *claims)
                    if claims
                    else None
                )
                if user is None:
                    request.state.login_expired = True
                else:
                    request.state.login = Login(user, token, signer)
                    setattr(request.state, ACTOR_STATE, user.username)
        await self.app(scope, receive, send)


def current_login(request: Request) -> Login | None:
    """The request's valid login, if any (set by the login middleware)."""
    login = getattr(request.state, "login", None)
    return login if isinstance(login, Login) else None


def require(role: Role) -> Callable[[Request], Login]:
    """A dependency: the request's login, which must hold at least ``role``.

    No login (or an expired one) sends a page to the login form and gives the
    API 401; a login without the role gives 403.
    """

    def dependency(request: Request) -> Login:
        login = current_login(request)
        if login is None:
            raise LoginRequiredError(expired=bool(getattr(request.state, "login_expired", False)))
        if not login.user.role.allows(role):
            raise HTTPException(
                403,
                f"Your role ({login.user.role.value}) cannot do this; it needs the "
                f"{role.value} role or higher.",
            )
        return login

    return dependency


def check_csrf(signer: TokenSigner, token: object, bound_to: str | None) -> None:
    """Refuse (403) a form whose CSRF token is missing or not issued for ``bound_to``."""
    if not isinstance(token, str) or not token or not bound_to:
        raise HTTPException(403, "Refused: the form has no security token. Reload the page.")
    if not signer.check_csrf(token, bound_to):
        raise HTTPException(
            403, "Refused: the form's security token is wrong or out of date. Reload the page."
        )


def require_form(role: Role) -> Callable[[Request], Awaitable[Login]]:
    """A dependency for a form post: the login with ``role``, and a valid CSRF token."""
    logged_in = require(role)

    async def dependency(request: Request) -> Login:
        login = logged_in(request)
        form = await request.form()
        check_csrf(token_signer(request.app), form.get(CSRF_FIELD), login.session_token)
        return login

    return dependency


def login_csrf(request: Request) -> tuple[str, str]:
    """The pre-login cookie value (new if absent) and the CSRF token bound to it."""
    prelogin = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(32)
    return prelogin, token_signer(request.app).csrf_token(prelogin)


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only, else the case list."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    if is_api(request):
        return JSONResponse({"detail": str(exc)}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc
        target = referer.path + (f"?{referer.query}" if referer.query else "") if same_site else ""
    location = f"/login?next={quote(safe_next(target), safe='')}"
    if exc.expired:
        location += "&expired=1"
    response = RedirectResponse(location, status_code=303)
    if exc.expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _demo_admin(registry: Registry) -> DemoLogin | None:
    if holds_real_data(registry, demo_user=DEMO_ADMIN):
        sys.stderr.write(
            "demo mode: this database holds real cases or users, so no demo account is "
            "made; log in with a real account\n"
        )
        return None
    users = UserStore(registry)
    password = secrets.token_urlsafe(12)
    try:
        existing = users.get(DEMO_ADMIN)
    except InputError:
        users.create(DEMO_ADMIN, password, Role.admin, actor="demo")
    else:
        users.set_password(DEMO_ADMIN, password, actor="demo")
        if existing.role is not Role.admin:
            users.set_role(DEMO_ADMIN, Role.admin, actor="demo")
        if not existing.active:
            users.set_active(DEMO_ADMIN, True, actor="demo")
    return DemoLogin(DEMO_ADMIN, password, users.get(DEMO_ADMIN).session_generation)


def install_login(app: FastAPI) -> None:
    """Add the login middleware and handler; in demo mode, (re)make the demo admin.

    The demo admin's password is new at every start and printed on the
    console; the login page shows it in demo mode only.
    """
    app.add_middleware(_LoginMiddleware, owner=app)
    app.add_exception_handler(LoginRequiredError, _login_required)
    settings = app.state.settings
    app.state.login_throttle = LoginThrottle(
        settings.login_attempts, settings.login_window_seconds
    )
    app.state.demo_login = None
    if settings.demo:
        demo = _demo_admin(_registry(app))
        app.state.demo_login = demo
        if demo is not None:
            if demo_database_in_use(app):
                app.add_middleware(
                    DemoAutoLogin,
                    owner=app,
                    username=demo.username,
                    generation=demo.generation,
                    cookie=SESSION_COOKIE,
                )
            sys.stderr.write(
                f"demo mode: log in as {demo.username!r} with password {demo.password!r} "
                "(synthetic data only; a new password at every start)\n"
            )
    else:
        retire_demo_admin(_registry(app))


def retire_demo_admin(registry: Registry) -> bool:
    """Deactivate a demo admin left by an earlier demo start; whether one was."""
    users = UserStore(registry)
    try:
        existing = users.get(DEMO_ADMIN)
    except InputError:
        return False
    if not existing.active:
        return False
    users.set_active(DEMO_ADMIN, False, actor="system")
    return True
