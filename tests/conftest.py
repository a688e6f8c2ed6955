"""Shared test fixtures: a deterministic clock and the CLI entry point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

# Timing is not what these property tests check; a loaded CI machine must not fail them.
settings.register_profile("stentguide", deadline=None, print_blob=True)
settings.load_profile("stentguide")


class FakeClock:
    """A clock that advances by a fixed step at every reading (deterministic timestamps)."""

    def __init__(self, start: datetime | None = None, step_seconds: float = 7.0) -> None:
        self.now = start or datetime(2026, 1, 31, 23, 59, 0, tzinfo=UTC)
        self.step = timedelta(seconds=step_seconds)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CliRun]:
    """Run the real ``stentguide`` entry point in a subprocess."""

    def run(
        *args: str, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "COLUMNS": "120",
            "NO_COLOR": "1",
            "STENTGUIDE_DB": f"sqlite:///{tmp_path / 'registry.sqlite'}",
            "STENTGUIDE_ACTOR": "tester",
        }
        return subprocess.run(
            [sys.executable, "-m", "stentguide", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            check=check,
            timeout=120,
        )

    yield run


# ---------------------------------------------------------------- browser tests
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Debian Chromium for the whole run (Playwright allows one sync driver)."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("STENTGUIDE_SKIP_BROWSER") == "1":
            pytest.skip("STENTGUIDE_SKIP_BROWSER=1 and no Chromium")
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh test (or make test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where browser tests put screenshots for a reviewer (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# ---------------------------------------------------------------- PostgreSQL
PG_URL = os.environ.get(
    "STENTGUIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server (STENTGUIDE_TEST_PG_URL), dropped after.

    If the server does not answer the test fails saying so; STENTGUIDE_SKIP_PG=1 skips.
    """
    if os.environ.get("STENTGUIDE_SKIP_PG") == "1":
        pytest.skip("STENTGUIDE_SKIP_PG=1")
    admin = sa.create_engine(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL does not answer at {PG_URL} ({exc.orig}); start it with "
            "scripts/ensure-postgres.sh, point STENTGUIDE_TEST_PG_URL at a server, "
            "or set STENTGUIDE_SKIP_PG=1",
            pytrace=False,
        )
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
