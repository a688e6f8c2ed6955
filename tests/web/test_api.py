"""The JSON API against a real server: runs to every outcome, errors that name the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from stentguide import DISCLAIMER, risk
from stentguide.cases import Registry
from stentguide.cases.users import Role, UserStore
from stentguide.devices import check_fit
from stentguide.protocols import Session, load_protocols
from stentguide.web.views import SessionView
from tests.web.conftest import PASSWORD, LoggedIn
from tests.web.live import live_server

PROTOCOLS = sorted(load_protocols())


def _walk(client: httpx.Client, view: dict[str, Any], choose: int) -> dict[str, Any]:
    """Answer every step (option ``choose`` modulo the count, or the minimum number)."""
    steps = 0
    while not view["finished"]:
        step = view["step"]
        answer: str | float
        if step["number"] is not None:
            answer = step["number"]["minimum"]
        else:
            answer = step["options"][choose % len(step["options"])]["id"]
        r = client.post(
            f"/api/sessions/{view['session_id']}/answers",
            json={"node": step["node"], "answer": answer, "acknowledge": "all"},
        )
        assert r.status_code == 200, r.text
        view = r.json()
        steps += 1
        assert steps < 100
    return view


def test_health_and_openapi_carry_the_disclaimer(client: httpx.Client) -> None:
    assert client.get("/api/health").json()["status"] == "ok"
    doc = client.get("/openapi.json").json()
    assert DISCLAIMER in doc["info"]["description"]
    assert all(path.startswith(("/api/", "/cds-services")) for path in doc["paths"])
    assert "/api/sessions/{run_id}/answers" in doc["paths"]


@pytest.mark.parametrize("protocol_id", PROTOCOLS)
@pytest.mark.parametrize("choose", [0, 1, 2])
def test_every_pathway_runs_to_an_outcome(
    client: httpx.Client, protocol_id: str, choose: int
) -> None:
    r = client.post("/api/sessions", json={"protocol_id": protocol_id})
    assert r.status_code == 201, r.text
    view = _walk(client, r.json(), choose)
    assert view["step"]["kind"] == "outcome"
    assert view["step"]["category"]
    assert view["summary"]["outcome"] == view["step"]["node"]
    record = client.get(f"/api/sessions/{view['session_id']}/record").json()
    resumed = Session.from_dict(record)
    assert resumed.finished and resumed.current.id == view["step"]["node"]
    assert [e["type"] for e in view["timeline"]][-1] == "ended"


def test_undo_steps_back_and_keeps_the_record(client: httpx.Client) -> None:
    view = client.post("/api/sessions", json={"protocol_id": "stent-loss-wire-in-place"}).json()
    first = view["step"]["node"]
    answer = view["step"]["options"][0]["id"]
    after = client.post(
        f"/api/sessions/{view['session_id']}/answers", json={"node": first, "answer": answer}
    ).json()
    assert after["step"]["node"] != first and after["can_undo"]
    undone = client.post(f"/api/sessions/{view['session_id']}/undo", json={"reason": "slip"})
    assert undone.status_code == 200
    body = undone.json()
    assert body["step"]["node"] == first and not body["can_undo"]
    assert any(e["type"] == "undone" for e in body["timeline"])


def test_declared_devices_are_checked_at_the_step(client: httpx.Client) -> None:
    case = {"devices": {"guide": "Launcher 6F", "retrieval_balloon": "Emerge 1.5x12"}}
    view = client.post(
        "/api/sessions", json={"protocol_id": "stent-loss-wire-in-place", "case": case}
    ).json()
    sid = view["session_id"]
    for node, answer in (
        ("check-act", "adequate"),
        ("confirm-wire", "coronary-wire-through"),
        ("left-main", "left-main-free"),
    ):
        view = client.post(
            f"/api/sessions/{sid}/answers", json={"node": node, "answer": answer}
        ).json()
    checks = view["step"]["device_checks"]
    assert view["step"]["node"] == "small-balloon"
    assert checks and checks[0]["status"] == "ok" and checks[0]["figures"]["device"]
    declared = client.post(
        f"/api/sessions/{sid}/declare", json={"devices": {"retrieval_balloon": "Emerge 3.0"}}
    ).json()
    assert declared["step"]["device_checks"][0]["status"] == "fail"


def test_a_bad_answer_is_a_422_naming_the_field(client: httpx.Client) -> None:
    view = client.post("/api/sessions", json={"protocol_id": "partial-stent-loss"}).json()
    r = client.post(
        f"/api/sessions/{view['session_id']}/answers",
        json={"node": view["step"]["node"], "answer": "no-such-answer"},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "answer"]


def test_a_stale_step_is_a_409(client: httpx.Client) -> None:
    view = client.post("/api/sessions", json={"protocol_id": "partial-stent-loss"}).json()
    r = client.post(
        f"/api/sessions/{view['session_id']}/answers", json={"node": "not-here", "answer": "x"}
    )
    assert r.status_code == 409
    assert "current step" in r.json()["detail"]


def test_missing_and_bad_fields_are_named(client: httpx.Client) -> None:
    r = client.post("/api/sessions", json={})
    assert r.status_code == 422
    assert ["body", "protocol_id"] in [e["loc"] for e in r.json()["detail"]]
    r = client.post(
        "/api/sessions",
        json={"protocol_id": "partial-stent-loss", "case": {"devices": {"guide": "Lancher 6F"}}},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "devices", "guide"]
    assert "Launcher 6F" in r.json()["detail"][0]["msg"]
    r = client.post("/api/sessions", json={"protocol_id": "partial-stent-los"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "protocol_id"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/sessions/0123456789abcdef0123456789abcdef",
        "/api/protocols/no-such-pathway",
        "/api/scores/no-such-score/schema",
        "/api/devices/no such device at all",
    ],
)
def test_unknown_ids_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_fit_matches_the_core(client: httpx.Client) -> None:
    body = {"guide": "Launcher 6F", "devices": ["Emerge 1.5x12", "SYNERGY 3.0"]}
    r = client.post("/api/devices/fit", json=body)
    assert r.status_code == 200
    core = check_fit("Launcher 6F", ["Emerge 1.5x12", "SYNERGY 3.0"])
    assert r.json()["verdict"] == core.verdict
    assert r.json()["margin_mm"] == pytest.approx(core.margin_mm)
    bad = client.post("/api/devices/fit", json={"guide": "Launcher 6F", "devices": ["wibble"]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "device"]


def test_inflation_refuses_an_impossible_pressure(client: httpx.Client) -> None:
    ok = client.post("/api/devices/inflation", json={"device": "Emerge 3.0", "pressure": 12})
    assert ok.status_code == 200 and ok.json()["diameter_mm"] > 0
    bad = client.post("/api/devices/inflation", json={"device": "Emerge 3.0", "pressure": -4})
    assert bad.status_code == 422


def test_score_matches_the_core_and_names_bad_inputs(client: httpx.Client) -> None:
    inputs = {
        "blunt_stump": True,
        "calcification": False,
        "bending_over_45_degrees": False,
        "occlusion_length_mm": 25,
        "retry_lesion": False,
    }
    r = client.post("/api/scores/j-cto", json={"inputs": inputs})
    assert r.status_code == 200
    core = risk.score("j-cto", inputs)
    assert (r.json()["points"], r.json()["category"]) == (core.points, core.category)
    bad = client.post("/api/scores/j-cto", json={"inputs": {**inputs, "occlusion_length_mm": 900}})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "inputs", "occlusion_length_mm"]


def test_leaflet_pdf_and_missing_fields(client: httpx.Client) -> None:
    plan = {
        "access": "radial",
        "stent_type": "drug_eluting",
        "chronic_total_occlusion": False,
        "second_antiplatelet": "clopidogrel",
        "antiplatelet_months": 6,
        "procedure_date": "2025-01-31",
        "language": "en",
        "centre_phone": "+44 20 7946 0000",
    }
    pdf = client.post("/api/leaflets/pdf", json=plan)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = client.post("/api/leaflets/html", json={"access": "radial"})
    assert bad.status_code == 422
    assert ["body", "language"] in [e["loc"] for e in bad.json()["detail"]]


def test_a_run_survives_a_server_restart(db_path: str) -> None:
    with Registry.open(db_path) as registry:
        UserStore(registry).create("olga", PASSWORD, Role.operator, actor="setup")
    with live_server(db_path) as first, LoggedIn(first.url, "olga") as c:
        view = c.post("/api/sessions", json={"protocol_id": "stent-undeliverable"}).json()
        step = view["step"]
        view = c.post(
            f"/api/sessions/{view['session_id']}/answers",
            json={"node": step["node"], "answer": step["options"][0]["id"]},
        ).json()
    with live_server(db_path) as second, LoggedIn(second.url, "olga") as c:
        again = c.get(f"/api/sessions/{view['session_id']}").json()
        assert again["step"]["node"] == view["step"]["node"]
        assert again["timeline"] == view["timeline"]
        finished = _walk(c, again, 0)
        assert finished["finished"]


def test_session_responses_are_the_session_view_models_json(client: httpx.Client) -> None:
    """Bytes and content type as the ``SessionView`` response model makes them."""
    adapter = TypeAdapter(SessionView)
    r = client.post("/api/sessions", json={"protocol_id": PROTOCOLS[0]})
    assert r.status_code == 201
    responses = [r]
    view = r.json()
    step = view["step"]
    answer = step["options"][0]["id"] if step["options"] else step["number"]["minimum"]
    responses.append(
        client.post(
            f"/api/sessions/{view['session_id']}/answers",
            json={"node": step["node"], "answer": answer, "acknowledge": "all"},
        )
    )
    responses.append(client.get(f"/api/sessions/{view['session_id']}"))
    for response in responses:
        assert response.headers["content-type"] == "application/json"
        model = adapter.validate_json(response.content)
        assert adapter.dump_json(model, by_alias=True) == response.content
