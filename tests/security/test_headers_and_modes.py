"""Headers, API docs, demo mode, production checks and training data, attacked live.

Every answer carries the security headers and case data is never cached; the
API docs load nothing from another site; ``--demo`` on a database that holds
real cases makes no account and prints no password, and a demo account stops
working once the server restarts without ``--demo``; ``serve --production``
refuses a default key, a demo and plain HTTP on the network; stored training
attempts are not readable without a login.
"""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from stentguide.cases import Registry
from stentguide.cases.users import UserStore
from stentguide.web import Settings, create_app
from stentguide.web.auth import DEMO_ADMIN, token_signer
from stentguide.web.production import ProductionRefusedError, check_production
from tests.cases.conftest import make_case
from tests.web.live import serve_app
from tests.web_cases.conftest import SECRET, Live, login

PAGES = ["/", "/login", "/cases", "/cases/export/csv", "/cases/export/json", "/quality"]


def test_every_answer_carries_the_security_headers(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as viewer:
        assert login(viewer, "vera").status_code == 303
        for path in [*PAGES, "/api/health", "/api/protocols", "/no-such-page"]:
            answer = viewer.get(path)
            headers = answer.headers
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-eval" not in csp
            assert headers["x-frame-options"] == "DENY"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
            assert headers["cache-control"] == "no-store", path
        export = viewer.get("/cases/export/csv")
        assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
        asset = viewer.get("/static/app.css")
        assert asset.status_code == 200 and "no-store" not in asset.headers.get("cache-control", "")
        assert asset.headers["x-content-type-options"] == "nosniff"


def test_api_docs_load_nothing_from_another_site(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources
        assert "cdn" not in page.text.lower()
        for source in sources:
            assert client.get(source).status_code == 200, source
        assert client.get("/redoc").status_code == 404
        assert "sha256-" in page.headers["content-security-policy"]


def test_production_serves_no_docs(tmp_path: pytest.TempPathFactory) -> None:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/p.sqlite", secret_key=SECRET, production=True)
    )
    try:
        with serve_app(app) as url:
            assert httpx.get(f"{url}/docs", timeout=30).status_code == 404
            assert httpx.get(f"{url}/openapi.json", timeout=30).status_code == 200
    finally:
        app.state.registry.close()


def test_anonymous_visitors_read_no_training_attempts(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=60, follow_redirects=False) as anonymous:
        assert anonymous.get("/api/training/attempts").status_code == 401
        assert anonymous.get("/api/training/attempts/any").status_code == 401
        assert anonymous.get("/training", params={"trainee": "someone"}).status_code == 303
        assert anonymous.get("/training/attempts/any").status_code == 303
        assert anonymous.get("/training").status_code == 200  # teaching mode stays open


def test_a_huge_page_number_is_not_a_server_error(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as viewer:
        assert login(viewer, "vera").status_code == 303
        for page in ("99999999999999999999", "-1", "1e9", "9" * 400):
            answer = viewer.get("/cases", params={"page": page})
            assert answer.status_code in (200, 422), (page, answer.status_code)


def test_demo_on_a_database_with_real_cases_makes_no_account(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Registry.open(database_url) as registry:
        if registry.cases.count() == 0:
            registry.cases.add(make_case(patient_id="REAL-1"), actor="setup")
    app = create_app(Settings(database_url=database_url, secret_key=SECRET, demo=True))
    try:
        assert app.state.demo_login is None
        with pytest.raises(Exception, match="user"):
            UserStore(app.state.registry).get(DEMO_ADMIN)
        with serve_app(app) as url:
            page = httpx.get(f"{url}/login", timeout=30).text
            assert DEMO_ADMIN not in page and "password is" not in page.lower()
    finally:
        app.state.registry.close()
    assert "no demo account" in capsys.readouterr().err


def test_a_demo_account_stops_working_after_a_restart_without_demo(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/demo.sqlite"
    demo_app = create_app(Settings(database_url=url, secret_key=SECRET, demo=True, demo_cases=5))
    demo = demo_app.state.demo_login
    assert demo is not None
    with serve_app(demo_app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert login(client, demo.username, demo.password).status_code == 303
        cookie = client.cookies["stentguide_session"]
        # a session made for the demo account must carry its generation
        made = token_signer(demo_app).session_token(demo.username, demo.generation)
        with httpx.Client(base_url=base, timeout=30) as other:
            other.cookies.set("stentguide_session", made)
            assert other.get("/cases", follow_redirects=False).status_code == 200
    demo_app.state.registry.close()
    app = create_app(Settings(database_url=url, secret_key=SECRET))
    try:
        with serve_app(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            assert login(client, demo.username, demo.password).status_code == 401
            client.cookies.set("stentguide_session", cookie)
            assert client.get("/cases", follow_redirects=False).status_code == 303
    finally:
        app.state.registry.close()


def test_production_refuses_unsafe_settings() -> None:
    with pytest.raises(ProductionRefusedError) as refused:
        check_production(Settings(demo=True), host="0.0.0.0", tls=False, behind_proxy=False)
    message = str(refused.value)
    assert "STENTGUIDE_SECRET_KEY" in message and "--demo" in message and "plain HTTP" in message
    safe = Settings(secret_key=SECRET)
    check_production(safe, host="127.0.0.1", tls=False, behind_proxy=False)
    check_production(safe, host="0.0.0.0", tls=False, behind_proxy=True)
    check_production(safe, host="10.1.2.3", tls=True, behind_proxy=False)


def test_serve_production_refuses_to_start(tmp_path: object) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stentguide",
            "serve",
            "--production",
            "--host",
            "0.0.0.0",
            "--db",
            f"sqlite:///{tmp_path}/p.sqlite",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: refusing to start in production")
    assert "STENTGUIDE_SECRET_KEY" in lines[0] and "plain HTTP" in lines[0]
