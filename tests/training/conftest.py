"""Training fixtures: scripted paths through every case, databases, a live server, Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stentguide.training import TrainingCase, Verdict, load_cases
from tests.cases.conftest import db_url, sqlite_url
from tests.web.live import LiveServer, live_server

__all__ = ["db_url", "sqlite_url"]

CASE_IDS = sorted(load_cases())


def expert_choices(case: TrainingCase) -> list[str]:
    """The expert's choice ids, start to end."""
    return [choice.id for _moment, choice in case.expert_path()]


def reckless_choices(case: TrainingCase) -> list[str]:
    """At every moment, the wrong choice that breaks the most key messages (else the expert's)."""
    path: list[str] = []
    moment = case.moment(case.start)
    while moment is not None:
        wrong = [c for c in moment.choices if c.verdict is Verdict.wrong]
        choice = max(wrong, key=lambda c: len(c.breaks)) if wrong else moment.expert_choice
        path.append(choice.id)
        moment = case.moment(choice.next)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db: Path = tmp_path_factory.mktemp("training") / "registry.sqlite"
    with live_server(f"sqlite:///{db}") as live:
        yield live
