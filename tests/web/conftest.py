"""A live server per test module, over a temporary SQLite registry, and logged-in HTTP clients.

Runs are patient data: the ``client`` is logged in as an operator (its form posts
carry the login's CSRF token), ``viewer`` as a viewer and ``anonymous`` not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stentguide.cases import Registry
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import Role, UserStore
from tests.web.live import SECRET, LiveServer, live_server

USERS = {"olga": Role.operator, "vic": Role.viewer}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("web") / "registry.sqlite"
    with live_server(f"sqlite:///{db}") as live:
        with Registry.open(live.database_url) as registry:
            users = UserStore(registry)
            for name, role in USERS.items():
                users.create(name, PASSWORD, role, actor="setup")
        yield live


class LoggedIn(httpx.Client):
    """A client with a login cookie whose run form posts carry the CSRF token."""

    def __init__(self, base_url: str, username: str) -> None:
        signer = TokenSigner(SECRET)
        token = signer.session_token(username)
        super().__init__(
            base_url=base_url,
            timeout=60,
            follow_redirects=True,
            cookies={"stentguide_session": token},
        )
        self.csrf = signer.csrf_token(token)

    def post(self, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        data = kwargs.get("data")
        if isinstance(data, dict) and "json" not in kwargs and str(url).startswith("/runs"):
            kwargs["data"] = {"csrf_token": self.csrf, **data}
        return super().post(url, *args, **kwargs)


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with LoggedIn(server.url, "olga") as c:
        yield c


@pytest.fixture
def viewer(server: LiveServer) -> Iterator[httpx.Client]:
    with LoggedIn(server.url, "vic") as c:
        yield c


@pytest.fixture
def anonymous(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=True) as c:
        yield c


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite'}"
