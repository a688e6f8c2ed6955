"""The team display follows a run live through any server process, on SQLite and PostgreSQL.

Two app instances (as two workers would be) share one database: an answer given
through the first reaches a display stream held open on the second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from stentguide.cases import Registry
from stentguide.cases.users import Role, UserStore
from stentguide.runs import Runs
from tests.web.conftest import PASSWORD, LoggedIn
from tests.web.live import live_server


@contextmanager
def two_workers(database_url: str) -> Iterator[tuple[str, str]]:
    with Registry.open(database_url) as registry:
        UserStore(registry).create("olga", PASSWORD, Role.operator, actor="setup")
        UserStore(registry).create("vic", PASSWORD, Role.viewer, actor="setup")
    with ExitStack() as stack:
        first = stack.enter_context(live_server(database_url))
        second = stack.enter_context(live_server(database_url))
        yield first.url, second.url


def _follow(database_url: str) -> None:
    with (
        two_workers(database_url) as (first, second),
        LoggedIn(first, "olga") as nurse,
        LoggedIn(second, "vic") as room,
    ):
        started = nurse.post("/api/sessions", json={"protocol_id": "partial-stent-loss"})
        run = started.json()
        page = room.get(f"/runs/{run['session_id']}/display")
        assert page.status_code == 200 and "Check anticoagulation first" in page.text
        seq = run["timeline"][-1]["seq"]
        url = f"/runs/{run['session_id']}/display/events?seq={seq}"
        with room.stream("GET", url, timeout=60) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            answered = nurse.post(
                f"/api/sessions/{run['session_id']}/answers",
                json={"node": "check-act", "answer": "adequate"},
            )
            assert answered.status_code == 200
            for line in lines:
                if line.startswith("data:"):
                    data = json.loads(line.removeprefix("data:"))
                    break
        assert data["seq"] > seq
        assert "Where are the balloon and the wire?" in data["html"]


def test_display_follows_a_run_through_another_worker_on_sqlite(db_path: str) -> None:
    _follow(db_path)


def test_display_follows_a_run_through_another_worker_on_postgresql(pg_url: str) -> None:
    _follow(pg_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_last_seq_is_the_newest_event(
    backend: str, db_path: str, request: pytest.FixtureRequest
) -> None:
    url = db_path if backend == "sqlite" else request.getfixturevalue("pg_url")
    with Registry.open(url) as registry:
        runs = Runs(registry)
        session = runs.start("partial-stent-loss", actor="dr-a")
        before = runs.last_seq(session.session_id)
        assert before == session.events[-1].seq
        assert not registry.runs.changed_since(session.session_id, before)
        runs.answer(session.session_id, "check-act", "adequate", actor="dr-b")
        assert registry.runs.changed_since(session.session_id, before)
        assert runs.last_seq("0" * 32) == -1
