"""Training pages and JSON API on a live server."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator

import httpx
import pytest

from stentguide.cases import Registry
from stentguide.errors import InputError
from stentguide.training import get_case
from tests.training.conftest import CASE_IDS, expert_choices, reckless_choices
from tests.web.live import LiveServer
from tests.web_cases.conftest import PASSWORD, login


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture
def viewer(server: LiveServer) -> Iterator[httpx.Client]:
    """A client logged in as a viewer (stored attempts are read with a login)."""
    with Registry.open(server.database_url) as registry, contextlib.suppress(InputError):
        registry.users.create("tutor", PASSWORD, "viewer", actor="setup")  # once per module
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert login(c, "tutor").status_code == 303
        yield c


def _state(page: str) -> str:
    found = re.search(r'name="state" value="([^"]*)"', page)
    assert found, "the play page carries its record"
    return html.unescape(found.group(1))


def play(client: httpx.Client, case_id: str, trainee: str, choices: list[str]) -> httpx.Response:
    page = client.post(f"/training/cases/{case_id}/start", data={"trainee": trainee})
    assert page.status_code == 200
    for choice in choices:
        assert f'data-choice="{choice}"' in page.text
        page = client.post(
            f"/training/cases/{case_id}/choose",
            data={"state": _state(page.text), "trainee": trainee, "choice": choice},
        )
        assert page.status_code in (200, 303)
    assert page.status_code == 303
    return client.get(page.headers["location"])


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_plays_to_a_debrief(client: httpx.Client, case_id: str) -> None:
    case = get_case(case_id)
    perfect = play(client, case_id, "web-fellow", expert_choices(case))
    assert perfect.status_code == 200 and "Score 100 / 100" in perfect.text
    reckless = play(client, case_id, "web-fellow", reckless_choices(case))
    assert reckless.status_code == 200
    assert 'data-status="broken"' in reckless.text
    assert "Expert path" in reckless.text and "To read" in reckless.text


def test_library_and_progress(client: httpx.Client, viewer: httpx.Client) -> None:
    page = client.get("/training")
    assert page.status_code == 200
    assert all(f'data-case="{c}"' in page.text for c in CASE_IDS)
    case = get_case("stent-loss-wire-lad")
    play(client, case.id, "progress-fellow", expert_choices(case))
    anonymous = client.get("/training", params={"trainee": "progress-fellow"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    mine = viewer.get("/training", params={"trainee": "progress-fellow"})
    assert "1 attempt(s), best 100" in mine.text and 'id="attempts"' in mine.text


def test_missing_trainee_and_bad_choice(client: httpx.Client, viewer: httpx.Client) -> None:
    page = client.post("/training/cases/stent-loss-left-main/start", data={"trainee": " "})
    assert page.status_code == 422 and "err-trainee" in page.text
    start = client.post("/training/cases/stent-loss-left-main/start", data={"trainee": "t"})
    bad = client.post(
        "/training/cases/stent-loss-left-main/choose",
        data={"state": _state(start.text), "trainee": "t", "choice": "fly"},
    )
    assert bad.status_code == 422 and "plan-retrieval" in bad.text
    assert client.get("/training/cases/nope").status_code == 404
    assert client.get("/training/attempts/nope").status_code == 303  # to the login page
    assert viewer.get("/training/attempts/nope").status_code == 404


def test_an_edited_play_record_is_refused(client: httpx.Client) -> None:
    start = client.post("/training/cases/stent-loss-left-main/start", data={"trainee": "t"})
    forged = _state(start.text)[:-4] + "AAAA"
    refused = client.post(
        "/training/cases/stent-loss-left-main/choose",
        data={"state": forged, "trainee": "t", "choice": "plan-retrieval"},
    )
    assert refused.status_code == 422 and "damaged or expired" in refused.text


def test_json_api_scores_with_the_same_model(
    client: httpx.Client, viewer: httpx.Client
) -> None:
    cases = client.get("/api/training/cases").json()
    assert sorted(c["id"] for c in cases) == CASE_IDS
    case = get_case("partial-loss-calcified-circumflex")
    score = client.post(
        "/api/training/score", json={"case_id": case.id, "choices": reckless_choices(case)}
    ).json()
    assert score["total"] < 40
    bad = client.post("/api/training/score", json={"case_id": case.id, "choices": ["x"]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "choices[0]"]
    assert client.get(f"/api/training/cases/{case.id}").json()["pathway"] == case.pathway
    play(client, case.id, "api-fellow", expert_choices(case))
    assert client.get("/api/training/attempts", params={"trainee": "api-fellow"}).status_code == 401
    (attempt,) = viewer.get("/api/training/attempts", params={"trainee": "api-fellow"}).json()
    assert attempt["total"] == 100
    assert client.get(f"/api/training/attempts/{attempt['id']}").status_code == 401
    assert viewer.get(f"/api/training/attempts/{attempt['id']}").json()["case_id"] == case.id
