"""Session attacks on SQLite and PostgreSQL: a copied cookie, guessing, weak passwords.

A session cookie copied from a browser must stop working when its user logs
out, changes password, is deactivated or changes role; a run of wrong
passwords is refused with 429 per account and per address; a common or
repetitive password is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from stentguide.cases.users import UserStore
from stentguide.errors import InputError
from stentguide.web.auth import SESSION_COOKIE
from stentguide.web.throttle import ADDRESS_FACTOR, LoginThrottle
from tests.web_cases.conftest import PASSWORD, Live, csrf_of, login

NEW_PASSWORD = "velvet otter harbour lamp"


def _client(live: Live) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=60, follow_redirects=False)


@pytest.fixture
def fresh_throttle(live: Live) -> Iterator[None]:
    """Each test starts with no failed logins counted (the server is shared)."""
    settings = live.app.state.settings
    live.app.state.login_throttle = LoginThrottle(
        settings.login_attempts, settings.login_window_seconds
    )
    yield
    live.app.state.login_throttle = LoginThrottle(
        settings.login_attempts, settings.login_window_seconds
    )


def _user(live: Live, name: str, role: str = "operator") -> None:
    users = UserStore(live.registry)
    try:
        users.create(name, PASSWORD, role, actor="setup")
    except InputError:
        users.set_password(name, PASSWORD, actor="setup")
        users.set_active(name, True, actor="setup")
        users.set_role(name, role, actor="setup")


def _stolen_cookie(live: Live, name: str) -> tuple[httpx.Client, str]:
    client = _client(live)
    assert login(client, name).status_code == 303
    token = client.cookies[SESSION_COOKIE]
    assert _replay(live, token) == 200
    return client, token


def _replay(live: Live, token: str) -> int:
    """What a second browser holding a copy of the cookie gets for the case list."""
    with _client(live) as attacker:
        attacker.cookies.set(SESSION_COOKIE, token)
        return attacker.get("/cases").status_code


def test_a_cookie_replayed_after_logout_is_refused(live: Live, fresh_throttle: None) -> None:
    _user(live, "lou")
    client, token = _stolen_cookie(live, "lou")
    try:
        answer = client.post("/logout", data={"csrf_token": csrf_of(client.get("/account").text)})
        assert answer.status_code == 303
    finally:
        client.close()
    assert _replay(live, token) == 303  # to the login page
    with _client(live) as attacker:
        attacker.cookies.set(SESSION_COOKIE, token)
        assert attacker.get("/api/training/attempts").status_code == 401


def test_a_password_change_ends_other_sessions_but_keeps_this_one(
    live: Live, fresh_throttle: None
) -> None:
    _user(live, "pat")
    client, token = _stolen_cookie(live, "pat")
    try:
        page = client.get("/account")
        answer = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(page.text),
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
            },
        )
        assert answer.status_code == 303
        assert client.get("/cases").status_code == 200
    finally:
        client.close()
    assert _replay(live, token) == 303


@pytest.mark.parametrize("change", ["deactivate", "role", "admin password"])
def test_an_admin_change_ends_the_users_sessions(
    live: Live, fresh_throttle: None, change: str
) -> None:
    _user(live, "ray")
    _client_, token = _stolen_cookie(live, "ray")
    _client_.close()
    users = UserStore(live.registry)
    if change == "deactivate":
        users.set_active("ray", False, actor="ada")
    elif change == "role":
        users.set_role("ray", "viewer", actor="ada")
    else:
        users.set_password("ray", NEW_PASSWORD, actor="ada")
    assert _replay(live, token) == 303


def test_guessing_one_account_is_throttled_with_429(live: Live, fresh_throttle: None) -> None:
    attempts = live.app.state.settings.login_attempts
    with _client(live) as attacker:
        for _ in range(attempts):
            assert login(attacker, "vera", "wrong password here").status_code == 401
        refused = login(attacker, "vera", "wrong password here")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Too many failed logins" in refused.text
        # the right password is refused too while the account is throttled
        assert login(attacker, "vera").status_code == 429
    # another account from the same address still logs in
    with _client(live) as other:
        assert login(other, "otto").status_code == 303


def test_guessing_many_accounts_from_one_address_is_throttled(
    live: Live, fresh_throttle: None
) -> None:
    per_address = live.app.state.settings.login_attempts * ADDRESS_FACTOR
    with _client(live) as attacker:
        for i in range(per_address):
            assert login(attacker, f"nobody{i}", "wrong password here").status_code == 401
        assert login(attacker, "someone-new", "wrong password here").status_code == 429
        assert login(attacker, "otto").status_code == 429


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "Repeats"),
        ("password1234", "common"),
        ("qwertyuiopasdf", "weak password"),
        ("short", "at least 12"),
    ],
)
def test_weak_passwords_are_refused(live: Live, password: str, why: str) -> None:
    with pytest.raises(InputError) as refused:
        UserStore(live.registry).create("weak-user", password, "viewer", actor="setup")
    assert why.lower() in str(refused.value).lower()


def test_admin_form_names_a_weak_password(live: Live, fresh_throttle: None) -> None:
    with _client(live) as admin:
        assert login(admin, "ada").status_code == 303
        page = admin.get("/users")
        answer = admin.post(
            "/users",
            data={
                "csrf_token": csrf_of(page.text),
                "username": "weakling",
                "role": "viewer",
                "password": "aaaaaaaaaaaa",
            },
        )
        assert answer.status_code == 422 and "easy to guess" in answer.text
