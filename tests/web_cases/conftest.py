"""Live servers over temporary registries with a viewer, an operator and an admin, and logins.

Each server is the real app (``create_app``) under uvicorn on a free 127.0.0.1
port; PostgreSQL runs use a schema made for the test and dropped after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from stentguide.cases import Registry
from stentguide.cases.demo import demo_cases
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import UserStore
from stentguide.web import Settings, create_app
from tests.cases.conftest import make_case
from tests.web.live import serve_app

SECRET = "s" * 48
PASSWORD = "correct horse battery"
USERS = {"vera": "viewer", "otto": "operator", "ada": "admin"}
DEMO_COUNT = 120


@dataclass
class Live:
    url: str
    app: FastAPI

    @property
    def registry(self) -> Registry:
        value: Registry = self.app.state.registry
        return value


def _seed(registry: Registry) -> None:
    registry.cases.add_many(demo_cases(DEMO_COUNT, seed=3), actor="setup")
    registry.cases.add_many(
        [
            make_case(),
            make_case(
                patient_id="P-0002",
                procedure_date="2024-05-02",
                operator="dr-b",
                outcome="retrieved",
                complications=[{"kind": "stent_loss", "technique": "snare", "success": True}],
            ),
        ],
        actor="setup",
    )


@contextmanager
def serve(
    database_url: str,
    *,
    session_seconds: int | None = None,
    demo: bool = False,
    seed: bool = True,
) -> Iterator[Live]:
    """Serve a fresh app with three users (with ``seed``, and some cases) until the block ends."""
    app = create_app(Settings(database_url=database_url, secret_key=SECRET, demo=demo))
    if session_seconds is not None:
        app.state.token_signer = TokenSigner(SECRET, session_seconds=session_seconds)
    registry: Registry = app.state.registry
    users = UserStore(registry)
    for name, role in USERS.items():
        users.create(name, PASSWORD, role, actor="setup")
    if seed:
        _seed(registry)
    with serve_app(app) as url:
        yield Live(url=url, app=app)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = tmp_path_factory.mktemp("web_cases") / "registry.sqlite"
    with serve(f"sqlite:///{db}") as server:
        yield server


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    """Log ``client`` in through the login form; returns the answer to the post."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
    )


@pytest.fixture
def anonymous(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60, follow_redirects=False) as client:
        yield client


def _logged_in(live: Live, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60, follow_redirects=False) as client:
        answer = login(client, username)
        assert answer.status_code == 303, answer.text
        yield client


@pytest.fixture
def viewer(live: Live) -> Iterator[httpx.Client]:
    yield from _logged_in(live, "vera")


@pytest.fixture
def operator(live: Live) -> Iterator[httpx.Client]:
    yield from _logged_in(live, "otto")


@pytest.fixture
def admin(live: Live) -> Iterator[httpx.Client]:
    yield from _logged_in(live, "ada")


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path
