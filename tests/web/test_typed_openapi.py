"""The typed OpenAPI document: every request that matches a score's (or a leaflet plan's)
schema is accepted, every status code returned is documented, and the device checks answer
on their own paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    not_a_server_error,
    positive_data_acceptance,
    status_code_conformance,
)

from stentguide import risk
from tests.web.live import LiveServer

SCORES = [s.name for s in risk.list_scores() if s.available]


def _typed_operations(server: LiveServer) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    wanted = {f"/api/scores/{n}" for n in SCORES} | {"/api/leaflets/html"}
    return [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.method.upper() == "POST" and op.path in wanted
    ]


def test_score_and_leaflet_bodies_are_typed(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for name in SCORES:
        body = spec["paths"][f"/api/scores/{name}"]["post"]["requestBody"]
        assert "$ref" in str(body) and "additionalProperties" not in str(body)
    components = spec["components"]["schemas"]
    j_cto = components["JCtoRequest"]
    assert j_cto["additionalProperties"] is False
    inputs = components["JCtoInputs"]
    assert inputs["properties"]["occlusion_length_mm"]["maximum"] == 300
    assert set(inputs["required"]) == {
        "blunt_stump",
        "calcification",
        "bending_over_45_degrees",
        "occlusion_length_mm",
        "retry_lesion",
    }
    leaflet = spec["paths"]["/api/leaflets/html"]["post"]["requestBody"]
    assert "LeafletPlan" in str(leaflet)


def test_get_score_returns_its_schema(client: httpx.Client) -> None:
    r = client.get("/api/scores/precise-dapt")
    assert r.status_code == 200
    schema = r.json()
    assert schema["properties"]["haemoglobin_g_dl"]["x-unit"] == "g/dL"
    assert schema["x-computable"] == {"creatinine_clearance_ml_min": "cockcroft-gault"}
    assert [u["unit"] for u in schema["x-units"]["haemoglobin_g_dl"]] == ["g/dL", "g/L", "mmol/L"]
    assert client.get("/api/scores/no-such-score").status_code == 404


def test_a_computed_clearance_through_the_api(client: httpx.Client) -> None:
    body = {
        "inputs": {
            "contrast_volume_ml": 200,
            "age_years": 80,
            "weight_kg": 60,
            "serum_creatinine_mg_dl": 1.0,
            "sex": "male",
        }
    }
    r = client.post("/api/scores/contrast-clearance-ratio", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["value"] == 4.0
    assert r.json()["derived"] == {"creatinine_clearance_ml_min": "cockcroft-gault"}
    assert r.json()["tone"] == "unfavourable"


def test_mehran_creatinine_variant_needs_its_parameter(client: httpx.Client) -> None:
    inputs = {
        "hypotension": False,
        "iabp": False,
        "chf": False,
        "age_years": 80,
        "sex": "male",
        "haematocrit_percent": 40,
        "diabetes": True,
        "contrast_volume_ml": 250,
        "serum_creatinine_mg_dl": 1.8,
    }
    scored = client.post(
        "/api/scores/mehran", json={"inputs": inputs, "params": {"renal_item": "creatinine"}}
    )
    assert scored.status_code == 200, scored.text
    assert scored.json()["points"] == 4 + 3 + 2 + 4
    computed = client.post("/api/scores/mehran", json={"inputs": inputs})
    assert computed.json()["derived"] == {"egfr_ml_min_1_73m2": "egfr-ckd-epi-2021"}


@pytest.mark.parametrize("action", ["fit", "inflation", "snare"])
def test_device_checks_are_not_shadowed_by_the_device_lookup(
    client: httpx.Client, action: str
) -> None:
    got = client.get(f"/api/devices/{action}")
    assert got.status_code == 405 and got.headers["allow"] == "POST"
    put = client.put(f"/api/devices/{action}", json={})
    assert put.status_code == 405 and "POST" in put.headers["allow"]
    assert client.post(f"/api/devices/{action}", json={}).status_code == 422


def test_error_answers_are_documented(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api"):
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)


def test_schema_valid_requests_are_accepted(server: LiveServer) -> None:
    """Schemathesis: no generated request that matches the typed schema gets a 422."""
    operations = _typed_operations(server)
    assert len(operations) == len(SCORES) + 1
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=server.url,
                checks=[not_a_server_error, positive_data_acceptance, status_code_conformance],
            )

        try:
            fuzz()
        except Exception as exc:
            pytest.fail(f"{operation.method.upper()} {operation.path}: {exc}")
