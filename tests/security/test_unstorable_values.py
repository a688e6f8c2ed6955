"""Text PostgreSQL cannot take (a NUL character) is refused the same way on both databases.

A search names the field; a value that reaches the database anyway is a 422
naming the reason, never a server error, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import Request

from tests.web_cases.conftest import Live, login, serve


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('nul') / 'registry.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    with serve(url, seed=False) as live:
        yield live


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"trainee": "a\x00b"}, "trainee", "1 to 64 printable characters"),
        ({"case": "a\x00b"}, "case", "printable characters only"),
    ],
)
def test_a_nul_character_in_a_training_search_names_the_field(
    server: Live, params: dict[str, str], field: str, message: str
) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert login(client, "otto").status_code == 303
        answer = client.get("/api/training/attempts", params=params)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"][-1] == field
    assert problem["msg"] == message


def test_a_nul_character_in_a_case_search_names_the_field(server: Live) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert login(client, "otto").status_code == 303
        page = client.get("/cases", params={"operator": "dr\x00a"})
    assert page.status_code == 422
    assert "printable characters only" in page.text


def test_a_value_the_database_refuses_is_a_422_with_its_reason(server: Live) -> None:
    """The last line of defence: whatever reaches the database and is refused there."""
    registry = server.registry

    @server.app.get("/api/test-only/echo")
    def echo(request: Request, text: str) -> list[str]:
        with registry.engine.connect() as conn:
            return [str(v) for v in conn.execute(sa.select(sa.literal(text))).scalars()]

    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.get("/api/test-only/echo", params={"text": "a\x00b"})
    if registry.dialect == "sqlite":  # SQLite keeps the character
        assert answer.status_code == 200
        assert answer.json() == ["a\x00b"]
    else:
        assert answer.status_code == 422
        [problem] = answer.json()["detail"]
        assert problem["msg"].startswith("A value in the request cannot be stored or searched")
        assert "NUL" in problem["msg"]
