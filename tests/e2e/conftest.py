"""A live server for the browser tests (Chromium and screenshots: tests/conftest.py).

The registry has an operator (``olga``) and a viewer (``vic``); :func:`login` gives a
browser context the signed session cookie of one of them, as the login page would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stentguide.cases import Registry
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import Role, UserStore
from tests.web.live import SECRET, LiveServer, live_server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("e2e") / "registry.sqlite"
    with live_server(f"sqlite:///{db}") as live:
        with Registry.open(live.database_url) as registry:
            users = UserStore(registry)
            users.create("olga", PASSWORD, Role.operator, actor="setup")
            users.create("vic", PASSWORD, Role.viewer, actor="setup")
        yield live


def login(context: Any, server: LiveServer, username: str = "olga") -> None:
    """Log the browser context in as ``username`` (the cookie the login page would set)."""
    token = TokenSigner(SECRET).session_token(username)
    context.add_cookies(
        [{"name": "stentguide_session", "value": token, "url": server.url, "httpOnly": True}]
    )
