"""Single sign-on against a real OpenID Connect provider started by the test.

The provider is ``oidc-provider-mock`` (a complete OIDC server for tests) in a
thread; the app discovers it, sends the browser there, and on the way back
checks the ID token with authlib. A person the provider vouches for logs in
only if an active local account of that name exists.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import httpx
import pytest

from stentguide.cases.users import UserStore
from stentguide.web import Settings, create_app
from stentguide.web.settings import OidcSettings
from tests.web.live import serve_app
from tests.web_cases.conftest import PASSWORD, SECRET

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from oidc_provider_mock import run_server_in_thread


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with run_server_in_thread(require_nonce=True) as server:
            yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def app_url(provider: str, database_url: str) -> Iterator[str]:
    oidc = OidcSettings(
        issuer=provider, client_id="stentguide", client_secret="s3cret", username_claim="sub"
    )
    app = create_app(Settings(database_url=database_url, secret_key=SECRET, oidc=oidc))
    users = UserStore(app.state.registry)
    users.create("otto", PASSWORD, "operator", actor="setup")
    users.create("gone", PASSWORD, "operator", actor="setup")
    users.set_active("gone", False, actor="setup")
    try:
        with serve_app(app) as url:
            yield url
    finally:
        app.state.registry.close()


def _sso(app_url: str, sub: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=app_url, timeout=60, follow_redirects=False)
    start = client.get("/login/oidc")
    assert start.status_code in (302, 303, 307), start.text
    authorize = start.headers["location"]
    assert "code_challenge=" in authorize and "nonce=" in authorize and "state=" in authorize
    # the person signs in at the provider, which sends the browser back with a code
    consent = httpx.post(authorize, data={"sub": sub}, timeout=60, follow_redirects=False)
    assert consent.status_code in (302, 303), consent.text
    callback = consent.headers["location"]
    assert callback.startswith(f"{app_url}/login/oidc/callback")
    return client, client.get(callback.removeprefix(app_url))


def test_the_login_page_offers_single_sign_on(app_url: str) -> None:
    page = httpx.get(f"{app_url}/login", timeout=60).text
    assert 'href="/login/oidc"' in page


def test_a_known_user_logs_in_through_the_provider(app_url: str) -> None:
    client, answer = _sso(app_url, "otto")
    try:
        assert answer.status_code == 303, answer.text
        assert client.get("/cases").status_code == 200
    finally:
        client.close()


@pytest.mark.parametrize("sub", ["stranger", "gone"])
def test_an_unknown_or_deactivated_person_gets_no_session(app_url: str, sub: str) -> None:
    client, answer = _sso(app_url, sub)
    try:
        assert answer.status_code == 403
        assert "no active account" in answer.text
        assert client.get("/cases").status_code == 303
    finally:
        client.close()


def test_a_forged_callback_is_refused(app_url: str) -> None:
    with httpx.Client(base_url=app_url, timeout=60, follow_redirects=False) as client:
        client.get("/login/oidc")
        forged = client.get("/login/oidc/callback", params={"code": "made-up", "state": "x"})
        assert forged.status_code == 403
        assert client.get("/cases").status_code == 303
