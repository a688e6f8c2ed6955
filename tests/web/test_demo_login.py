"""``make run``'s demo logs its demo user in on the demo database, and nowhere else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from stentguide.web import Settings, create_app
from stentguide.web.settings import DB_ENV, demo_database_url
from tests.web.live import SECRET, serve_app


def test_the_demo_database_logs_the_demo_user_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(DB_ENV, raising=False)
    (tmp_path / "data" / "stentguide").mkdir(parents=True)
    assert demo_database_url().startswith(f"sqlite:///{tmp_path}")
    app = create_app(Settings(demo=True, demo_cases=3, secret_key=SECRET))
    with serve_app(app) as url, httpx.Client(base_url=url, follow_redirects=True) as c:
        home = c.get("/")
        assert "Recent runs" not in home.text  # no run yet, but the start buttons work
        page = c.post("/runs", data={"protocol": "partial-stent-loss", "csrf_token": _csrf(home)})
        assert page.status_code == 200 and "/runs/" in page.url.path
        assert "demo-admin" in c.get("/").text


def test_demo_mode_on_another_database_asks_for_a_login(tmp_path: Path) -> None:
    url_db = f"sqlite:///{tmp_path / 'real.sqlite'}"
    app = create_app(Settings(database_url=url_db, demo=True, demo_cases=3, secret_key=SECRET))
    with serve_app(app) as url, httpx.Client(base_url=url) as c:
        refused = c.post("/runs", data={"protocol": "partial-stent-loss"})
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def _csrf(page: httpx.Response) -> str:
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]
