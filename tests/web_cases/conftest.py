"""Live servers over temporary registries with a viewer, an operator and an admin, and logins.

Each server is the real app (``create_app``) under uvicorn on a free 127.0.0.1
port; PostgreSQL runs use a schema made for the test and dropped after it.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from stentguide.cases import Registry
from stentguide.cases.demo import demo_cases
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import UserStore
from stentguide.web import Settings, create_app
from tests.web.live import free_port

SECRET = "s" * 48
PASSWORD = "correct horse battery"
USERS = {"vera": "viewer", "otto": "operator", "ada": "admin"}
PG_URL = os.environ.get(
    "STENTGUIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DEMO_COUNT = 120


@dataclass
class Live:
    url: str
    app: FastAPI

    @property
    def registry(self) -> Registry:
        value: Registry = self.app.state.registry
        return value


def real_case(**overrides: object) -> dict[str, object]:
    case: dict[str, object] = {
        "patient_id": "P-0001",
        "procedure_date": "2024-03-01",
        "operator": "dr-a",
        "access": "radial",
        "lesions": [{"vessel": "LAD", "calcified": True}],
        "devices": {"guide": "6F EBU", "stent": "DES 3.0 x 18"},
        "outcome": "deployed",
        "complications": [],
    }
    case.update(overrides)
    return case


def _seed(registry: Registry) -> None:
    registry.add_cases(demo_cases(DEMO_COUNT, seed=3), actor="setup")
    registry.add_cases(
        [
            real_case(),
            real_case(
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
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = tmp_path_factory.mktemp("web_cases") / "registry.sqlite"
    with serve(f"sqlite:///{db}") as server:
        yield server


@pytest.fixture
def pg_url() -> Iterator[str]:
    if os.environ.get("STENTGUIDE_SKIP_PG") == "1":
        pytest.skip("STENTGUIDE_SKIP_PG=1")
    admin = sa.create_engine(PG_URL)
    schema = f"webcases_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL does not answer at {PG_URL} ({exc.orig}); start it with "
            "scripts/ensure-postgres.sh or set STENTGUIDE_SKIP_PG=1",
            pytrace=False,
        )
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


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
