"""A live server for the browser tests (Chromium and screenshots: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.live import LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("e2e") / "registry.sqlite"
    with live_server(f"sqlite:///{db}") as live:
        yield live
