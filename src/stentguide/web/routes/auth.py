"""Log in and out, the account page, and user management for admins.

Passwords are checked by :class:`stentguide.cases.users.UserStore` (Argon2id);
the session cookie and the CSRF tokens come from :mod:`stentguide.web.auth`.
A failed login says only that the username or password is wrong, never which;
too many failures for an account or from an address are refused with 429
(:mod:`stentguide.web.throttle`). Logging out ends every session of the user
(the session generation is raised), and so does a change of password.
Every change to a user is audited by the user store with the admin's name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stentguide.cases import Registry
from stentguide.cases.users import MIN_PASSWORD_LENGTH, Role, User, UserStore
from stentguide.errors import InputError
from stentguide.web.auth import (
    CSRF_FIELD,
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    Login,
    check_csrf,
    current_login,
    login_csrf,
    require,
    require_form,
    safe_next,
    token_signer,
)
from stentguide.web.deps import registry
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render
from stentguide.web.throttle import LoginThrottle

router = APIRouter()
NAV = (NavLink(90, "Account", "/account"),)

Db = Annotated[Registry, Depends(registry)]
Viewer = Annotated[Login, Depends(require(Role.viewer))]
ViewerForm = Annotated[Login, Depends(require_form(Role.viewer))]
Admin = Annotated[Login, Depends(require(Role.admin))]
AdminForm = Annotated[Login, Depends(require_form(Role.admin))]


def _form_text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _login_page(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    message: str | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    prelogin, csrf = login_csrf(request)
    query = request.query_params
    response = render(
        request,
        "auth/login.html",
        {
            "csrf": csrf,
            "next_path": next_path,
            "username": username,
            "message": message,
            "problems": problems or {},
            "expired": query.get("expired") == "1",
            "logged_out": query.get("logged_out") == "1",
            "login": current_login(request),
            "demo_login": request.app.state.demo_login,
            "oidc": request.app.state.oidc is not None,
        },
        status_code=status_code,
        title="Log in",
    )
    response.set_cookie(
        PRELOGIN_COOKIE,
        prelogin,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login", include_in_schema=False)
def login_page(request: Request) -> HTMLResponse:
    """The login form (it also says when a session has ended)."""
    return _login_page(request, next_path=safe_next(request.query_params.get("next")))


@router.post("/login", include_in_schema=False)
async def login(request: Request, db: Db) -> Response:
    """Check the password; on success set the session cookie and go where the user was going."""
    form = await request.form()
    next_path = safe_next(_form_text(form.get("next")))
    signer = token_signer(request.app)
    check_csrf(signer, form.get(CSRF_FIELD), request.cookies.get(PRELOGIN_COOKIE))
    username, password = _form_text(form.get("username")), form.get("password")
    problems = {}
    if not username:
        problems["username"] = "enter your username"
    if not isinstance(password, str) or not password:
        problems["password"] = "enter your password"
    if problems:
        return _login_page(
            request, next_path=next_path, username=username, problems=problems, status_code=422
        )
    assert isinstance(password, str)
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(username, address)
    if wait:
        refused = _login_page(
            request,
            next_path=next_path,
            username=username,
            message=(
                "Too many failed logins for this account or from this address. "
                f"Try again in {-(-wait // 60)} minute(s), or ask an admin."
            ),
            status_code=429,
        )
        refused.headers["retry-after"] = str(wait)
        return refused
    user = await run_in_threadpool(UserStore(db).authenticate, username, password)
    if user is None:
        throttle.failed(username, address)
        return _login_page(
            request,
            next_path=next_path,
            username=username,
            message="Wrong username or password, or the account is deactivated.",
            status_code=401,
        )
    throttle.succeeded(username)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, user)
    response.delete_cookie(PRELOGIN_COOKIE, path="/login")
    return response


def set_session_cookie(request: Request, response: Response, user: User) -> None:
    """Log ``user`` in on this browser: the session cookie for their current generation."""
    response.set_cookie(
        SESSION_COOKIE,
        token_signer(request.app).session_token(user.username, user.session_generation),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.post("/logout", include_in_schema=False)
def logout(login: ViewerForm, db: Db) -> Response:
    """Log out: every session of this user ends, so a copied cookie no longer works."""
    UserStore(db).end_sessions(login.username, actor=login.username)
    response = RedirectResponse("/login?logged_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account_page(
    request: Request,
    login: Login,
    *,
    problems: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    signer = token_signer(request.app)
    return render(
        request,
        "auth/account.html",
        {
            "login": login,
            "csrf": login.csrf,
            "session_hours": signer.session_seconds / 3600,
            "problems": problems or {},
            "done": done,
            "min_password": MIN_PASSWORD_LENGTH,
            "is_admin": login.user.role.allows(Role.admin),
        },
        status_code=status_code,
        title="Your account",
    )


@router.get("/account", include_in_schema=False)
def account_page(request: Request, login: Viewer) -> HTMLResponse:
    """Who is logged in, with what role; log out; change one's own password."""
    return _account_page(request, login, done=request.query_params.get("done"))


@router.post("/account/password", include_in_schema=False)
async def change_own_password(request: Request, login: ViewerForm, db: Db) -> Response:
    """Change one's own password after confirming the current one."""
    form = await request.form()
    current, new = form.get("current_password"), form.get("new_password")
    users = UserStore(db)
    if not isinstance(current, str) or not current:
        return _account_page(
            request, login, problems={"current_password": "enter it"}, status_code=422
        )
    if await run_in_threadpool(users.authenticate, login.username, current) is None:
        return _account_page(
            request, login, problems={"current_password": "is not right"}, status_code=422
        )
    try:
        new_password = new if isinstance(new, str) else ""
        users.set_password(login.username, new_password, actor=login.username)
    except InputError as exc:
        problems = {("new_password" if k == "password" else k): v for k, v in exc.problems.items()}
        return _account_page(request, login, problems=problems, status_code=422)
    # every other session of the user has ended; this browser gets a fresh one
    response = RedirectResponse("/account?done=password", status_code=303)
    set_session_cookie(request, response, users.get(login.username))
    return response


def _users_page(
    request: Request,
    login: Login,
    db: Registry,
    *,
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "auth/users.html",
        {
            "login": login,
            "csrf": login.csrf,
            "users": UserStore(db).list(),
            "roles": [r.value for r in Role],
            "problems": problems or {},
            "values": values or {},
            "min_password": MIN_PASSWORD_LENGTH,
            "done": request.query_params.get("done"),
        },
        status_code=status_code,
        title="Users",
    )


@router.get("/users", include_in_schema=False)
def users_page(request: Request, login: Admin, db: Db) -> HTMLResponse:
    """Every user with role and status; forms to add users and change them (admin)."""
    return _users_page(request, login, db)


@router.post("/users", include_in_schema=False)
async def add_user(request: Request, login: AdminForm, db: Db) -> Response:
    """Add a user (admin); each bad field is named on the page."""
    form = await request.form()
    values = {k: _form_text(form.get(k)) for k in ("username", "role")}
    password = form.get("password")
    problems = {}
    if not values["username"]:
        problems["username"] = "missing"
    if not values["role"]:
        problems["role"] = "missing: choose viewer, operator or admin"
    if not isinstance(password, str) or not password:
        problems["password"] = "missing"
    if problems:
        return _users_page(
            request, login, db, problems=problems, values=values, status_code=422
        )
    assert isinstance(password, str)
    try:
        UserStore(db).create(values["username"], password, values["role"], actor=login.username)
    except InputError as exc:
        return _users_page(
            request, login, db, problems=exc.problems, values=values, status_code=422
        )
    return RedirectResponse(f"/users?done={values['username']}", status_code=303)


def _not_self(login: Login, username: str) -> None:
    if username == login.username:
        raise HTTPException(
            409, "You cannot change your own role or deactivate yourself; ask another admin."
        )


@router.post("/users/{username}/role", include_in_schema=False)
async def set_user_role(request: Request, username: str, login: AdminForm, db: Db) -> Response:
    """Change a user's role (admin; not one's own)."""
    _not_self(login, username)
    form = await request.form()
    try:
        UserStore(db).set_role(username, _form_text(form.get("role")), actor=login.username)
    except InputError as exc:
        return _users_page(request, login, db, problems=exc.problems, status_code=422)
    return RedirectResponse(f"/users?done={username}", status_code=303)


@router.post("/users/{username}/active", include_in_schema=False)
async def set_user_active(request: Request, username: str, login: AdminForm, db: Db) -> Response:
    """Deactivate or reactivate a user (admin; not oneself)."""
    _not_self(login, username)
    form = await request.form()
    active = _form_text(form.get("active"))
    if active not in ("true", "false"):
        return _users_page(
            request, login, db, problems={"active": "true or false"}, status_code=422
        )
    try:
        UserStore(db).set_active(username, active == "true", actor=login.username)
    except InputError as exc:
        return _users_page(request, login, db, problems=exc.problems, status_code=422)
    return RedirectResponse(f"/users?done={username}", status_code=303)


@router.post("/users/{username}/password", include_in_schema=False)
async def set_user_password(
    request: Request, username: str, login: AdminForm, db: Db
) -> Response:
    """Set a new password for a user (admin)."""
    form = await request.form()
    password = form.get("password")
    try:
        UserStore(db).get(username)
        UserStore(db).set_password(
            username, password if isinstance(password, str) else "", actor=login.username
        )
    except InputError as exc:
        return _users_page(request, login, db, problems=exc.problems, status_code=422)
    return RedirectResponse(f"/users?done={username}", status_code=303)
