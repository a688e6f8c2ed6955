"""The perforation and entrapment pathways in the web app: every outcome by forms and by the API."""

from __future__ import annotations

import re

import httpx
import pytest

from stentguide.protocols import get_protocol
from tests.clinical.test_perforation_entrapment import NEW, _paths_to_outcomes

CASES = [
    pytest.param(protocol_id, outcome, path, id=f"{protocol_id}:{outcome}")
    for protocol_id in NEW
    for outcome, path in _paths_to_outcomes(get_protocol(protocol_id)).items()
]


@pytest.mark.parametrize(("protocol_id", "outcome", "path"), CASES)
def test_every_outcome_by_the_api(
    client: httpx.Client, protocol_id: str, outcome: str, path: list[tuple[str, str]]
) -> None:
    view = client.post("/api/sessions", json={"protocol_id": protocol_id}).json()
    for node, answer in path:
        assert view["step"]["node"] == node
        r = client.post(
            f"/api/sessions/{view['session_id']}/answers",
            json={"node": node, "answer": answer, "acknowledge": "all"},
        )
        assert r.status_code == 200, r.text
        view = r.json()
    assert view["finished"] and view["step"]["node"] == outcome
    assert view["summary"]["outcome"] == outcome


@pytest.mark.parametrize(("protocol_id", "outcome", "path"), CASES)
def test_every_outcome_by_the_forms(
    client: httpx.Client, protocol_id: str, outcome: str, path: list[tuple[str, str]]
) -> None:
    run = client.post("/runs", data={"protocol": protocol_id}).url.path
    page = client.get(run).text
    for node, answer in path:
        assert f'name="node" value="{node}"' in page
        acks = re.findall(r'name="ack" value="([^"]+)"', page)
        r = client.post(f"{run}/answer", data={"node": node, "answer": answer, "ack": acks})
        assert r.status_code == 200, r.text[:300]
        page = r.text
    assert "Printable record" in page
    record = client.get(f"{run}/record")
    assert (
        record.status_code == 200 and get_protocol(protocol_id).node(outcome).title in record.text
    )


@pytest.mark.parametrize("protocol_id", NEW)
def test_the_flowchart_and_the_home_page_show_the_pathway(
    client: httpx.Client, protocol_id: str
) -> None:
    assert f"/runs/new?protocol={protocol_id}" in client.get("/").text
    page = client.get(f"/protocols/{protocol_id}")
    assert page.status_code == 200 and "<svg" in page.text
    for node in get_protocol(protocol_id).nodes:
        assert node.id in page.text, node.id
