"""Registry fixtures: a fresh SQLite file per test, or a fresh PostgreSQL schema per test
(``pg_url``, in tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stentguide.cases import Registry


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return _sqlite_url(tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def registry(db_url: str) -> Iterator[Registry]:
    with Registry.open(db_url) as opened:
        yield opened


def make_case(**overrides: object) -> dict[str, object]:
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


def make_session(events: int = 2, session_id: str | None = None) -> dict[str, object]:
    """A session record in the wire format (the run log stores it without replaying it)."""
    case = {"facts": {"wire_through_stent": True}, "devices": {"guide": "6F EBU"}}
    return {
        "format": "stentguide.session/1",
        "session_id": session_id or uuid.uuid4().hex,
        "protocol_id": "stent-loss",
        "protocol_version": "1.0",
        "case": case,
        "events": [
            {
                "seq": i,
                "at": f"2024-03-01T10:{i:02d}:00Z",
                "type": "started" if i == 0 else "answered",
                "node": None if i == 0 else f"q{i}",
                "data": {"case": case} if i == 0 else {"answer": "yes", "label": "Yes"},
            }
            for i in range(events)
        ],
    }


def unstamped(session: dict[str, object]) -> dict[str, object]:
    """A loaded session without the protocol id and version the engine may stamp on events."""
    events = [
        {k: v for k, v in event.items() if k not in ("protocol_id", "protocol_version")}
        for event in session["events"]  # type: ignore[attr-defined]
    ]
    return {**session, "events": events}
