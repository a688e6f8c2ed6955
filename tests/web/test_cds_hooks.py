"""The CDS Hooks 2.0 service over HTTP: the specification's examples, full and bad requests.

``cds_examples/`` holds the request bodies of the CDS Hooks specification (the
patient-view call, the order-sign R4 context, the three feedback examples).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import httpx
import pytest
import schemathesis
from fhir.resources.R4B.riskassessment import RiskAssessment
from fhir.resources.R4B.timing import Timing
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from stentguide.interop.cds_hooks import SCORE_INPUT_SYSTEM, Card, discovery
from stentguide.risk import get_spec
from stentguide.web import Settings, create_app
from tests.risk.cases import baseline
from tests.web.live import LiveServer, serve_app, serve_handler
from tests.web.test_fuzz import _operations

EXAMPLES = Path(__file__).parent / "cds_examples"
DAPT = "stentguide-dapt-duration"
APP = "stentguide-pathway-app"
LAB_VALUES = {
    "2160-0": (1.2, "mg/dL"),
    "718-7": (10.5, "g/dL"),
    "6690-2": (9.0, "10*3/uL"),
    "777-3": (220.0, "10*9/L"),
    "29463-7": (70.0, "kg"),
    "33914-3": (55.0, "mL/min/{1.73_m2}"),
}
FROM_PATIENT_OR_LABS = {
    "age_years",
    "sex",
    "serum_creatinine_mg_dl",
    "haemoglobin_g_dl",
    "wbc_10e9_l",
    "platelets_10e9_l",
    "weight_kg",
    "egfr_ml_min_1_73m2",
    "creatinine_clearance_ml_min",
}


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def _labs() -> dict[str, Any]:
    return _bundle(
        [
            {
                "resourceType": "Observation",
                "id": f"lab-{code}",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "effectiveDateTime": "2026-01-30T08:00:00Z",
                "valueQuantity": {
                    "value": value,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
            }
            for code, (value, unit) in LAB_VALUES.items()
        ]
    )


def _answers() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("precise-dapt", "arc-hbr", "dapt"):
        values.update(baseline(name))
    observations = []
    for name, value in values.items():
        if name in FROM_PATIENT_OR_LABS:
            continue
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"answer-{name}",
            "status": "final",
            "code": {"coding": [{"system": SCORE_INPUT_SYSTEM, "code": name}]},
        }
        if isinstance(value, bool):
            obs["valueBoolean"] = value
        elif isinstance(value, str):
            obs["valueCodeableConcept"] = {
                "coding": [{"system": SCORE_INPUT_SYSTEM, "code": value}]
            }
        else:
            obs["valueQuantity"] = {"value": value}
        observations.append(obs)
    return _bundle(observations)


def _prefetch() -> dict[str, Any]:
    return {
        "patient": {
            "resourceType": "Patient",
            "id": "1288992",
            "gender": "male",
            "birthDate": "1946-03-02",
        },
        "pci": _bundle(
            [
                {
                    "resourceType": "Procedure",
                    "id": "pci-1",
                    "status": "completed",
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "415070008"}]},
                    "subject": {"reference": "Patient/1288992"},
                }
            ]
        ),
        "labs": _labs(),
        "answers": _answers(),
    }


def _clopidogrel_request(prefetch: dict[str, Any] | None = None) -> dict[str, Any]:
    """The spec's order-sign request with the draft order changed to clopidogrel."""
    request = _example("order-sign-request.json")
    for entry in request["context"]["draftOrders"]["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "MedicationRequest":
            resource["medicationCodeableConcept"] = {
                "coding": [
                    {
                        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": "32968",
                        "display": "clopidogrel",
                    }
                ],
                "text": "clopidogrel 75 MG Oral Tablet",
            }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return request


def _cards(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    for card in cards:
        Card.model_validate(card)
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
    return cards


def test_discovery_lists_both_services_with_prefetch_templates(client: httpx.Client) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert services[DAPT]["hook"] == "order-sign"
    assert services[APP]["hook"] == "patient-view"
    prefetch = services[DAPT]["prefetch"]
    assert set(prefetch) == {"patient", "pci", "labs", "answers"}
    assert all("{{context.patientId}}" in t for t in prefetch.values())
    assert response.json() == json.loads(discovery().model_dump_json(exclude_none=True))


def test_spec_patient_view_example_gets_an_app_link_card(client: httpx.Client) -> None:
    cards = _cards(client.post(f"/cds-services/{APP}", json=_example("patient-view-request.json")))
    (card,) = cards
    urls = [link["url"] for link in card["links"]]
    assert all(link["type"] == "absolute" for link in card["links"])
    assert any(u.endswith("/runs/new") for u in urls)
    assert any(u.endswith("/leaflets") for u in urls)
    for url in urls:
        assert client.get(urlsplit(url).path).status_code == 200


def test_spec_order_sign_example_without_a_p2y12_inhibitor_gets_no_card(
    client: httpx.Client,
) -> None:
    assert (
        _cards(client.post(f"/cds-services/{DAPT}", json=_example("order-sign-request.json"))) == []
    )


def test_a_p2y12_order_after_pci_gets_scores_and_a_duration(client: httpx.Client) -> None:
    cards = _cards(client.post(f"/cds-services/{DAPT}", json=_clopidogrel_request(_prefetch())))
    summaries = [c["summary"] for c in cards]
    assert summaries[0].startswith("Suggested DAPT duration")
    for title in ("PRECISE-DAPT", "ARC-HBR", "DAPT score"):
        assert any(s.startswith(title) and "not computed" not in s for s in summaries), title
    duration = cards[0]
    assert duration["selectionBehavior"] == "at-most-one"
    assert all(r["display"] for r in duration["overrideReasons"])
    assert "Sources:" in duration["detail"]
    for suggestion in duration["suggestions"]:
        (action,) = suggestion["actions"]
        assert action["type"] == "update"
        timing = action["resource"]["dosageInstruction"][0]["timing"]
        bounds = Timing.model_validate(timing).repeat.boundsPeriod  # the spec's order is STU3
        assert bounds.end > bounds.start
        assert action["resource"]["id"] == "smart-MedicationRequest-103"
    precise = next(c for c in cards if c["summary"].startswith("PRECISE-DAPT"))
    (record,) = precise["suggestions"]
    assessment = record["actions"][0]["resource"]
    RiskAssessment.model_validate(assessment)
    basis = {b["reference"] for b in assessment["basis"]}
    assert {"Observation/lab-718-7", "Observation/lab-6690-2"} <= basis
    assert assessment["subject"] == {"reference": "Patient/1288992"}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda p: p.pop("labs"), "prefetch.labs"),
        (lambda p: p.pop("patient"), "prefetch.patient"),
        (lambda p: p.update(labs="not a bundle"), "prefetch.labs"),
        (
            lambda p: p.update(
                patient={"resourceType": "OperationOutcome", "issue": [{"diagnostics": "timeout"}]}
            ),
            "prefetch.patient",
        ),
        (lambda p: p.update(pci=None), None),
        (lambda p: p["labs"]["entry"].__setitem__(1, {"resource": "junk"}), "haemoglobin"),
        (
            lambda p: p["labs"]["entry"][1]["resource"]["valueQuantity"].update(
                unit="mmol/L", code="mmol/L"
            ),
            "haemoglobin",
        ),
        (lambda p: p["patient"].update(birthDate="1946"), "age_years"),
        (lambda p: p["patient"].update(gender="unknown"), "sex"),
        (lambda p: p["answers"]["entry"].clear(), "prior_spontaneous_bleeding"),
        (
            lambda p: [e["resource"].update(status="preliminary") for e in p["answers"]["entry"]],
            "prior_spontaneous_bleeding",
        ),
        (
            lambda p: p["labs"]["entry"][1]["resource"]["valueQuantity"].update(value=1e308),
            "haemoglobin_g_dl",
        ),
    ],
)
def test_missing_or_malformed_prefetch_is_named_on_a_card(
    client: httpx.Client, change: Any, named: str | None
) -> None:
    prefetch = copy.deepcopy(_prefetch())
    change(prefetch)
    cards = _cards(client.post(f"/cds-services/{DAPT}", json=_clopidogrel_request(prefetch)))
    if named is None:  # no PCI on record: no advice
        assert cards == []
        return
    text = " ".join(c["summary"] + " " + c.get("detail", "") for c in cards)
    assert named in text


def test_a_non_finite_lab_value_is_named_not_a_server_error(client: httpx.Client) -> None:
    prefetch = _prefetch()
    prefetch["labs"]["entry"][1]["resource"]["valueQuantity"]["value"] = float("nan")
    body = json.dumps(_clopidogrel_request(prefetch), allow_nan=True)
    response = client.post(
        f"/cds-services/{DAPT}", content=body, headers={"Content-Type": "application/json"}
    )
    text = json.dumps(_cards(response))
    assert "haemoglobin_g_dl" in text and "finite" in text


@pytest.mark.parametrize(
    "body",
    [
        {"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "1"}},
        {
            "hook": "order-sign",
            "hookInstance": "x",
            "context": {"patientId": "1", "draftOrders": "nope"},
            "prefetch": {"patient": 3},
        },
        {
            "hook": "order-sign",
            "hookInstance": "x",
            "prefetch": None,
            "context": {"draftOrders": {"resourceType": "Bundle", "entry": [1, {"resource": []}]}},
        },
    ],
)
def test_bad_context_gets_a_card_not_an_error(client: httpx.Client, body: dict[str, Any]) -> None:
    cards = _cards(client.post(f"/cds-services/{DAPT}", json=body))
    assert all("summary" in c for c in cards)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (f"/cds-services/{DAPT}", {"hookInstance": "x", "context": {}}, 422),
        (
            f"/cds-services/{DAPT}",
            {"hook": "patient-view", "hookInstance": "x", "context": {}},
            422,
        ),
        (
            f"/cds-services/{DAPT}",
            {
                "hook": "order-sign",
                "hookInstance": "x",
                "context": {},
                "fhirAuthorization": {
                    "access_token": "t",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "s",
                    "subject": "c",
                },
            },
            422,
        ),
        (
            "/cds-services/no-such-service",
            {"hook": "order-sign", "hookInstance": "x", "context": {}},
            404,
        ),
        (
            f"/cds-services/{DAPT}/feedback",
            {
                "feedback": [
                    {"card": "c", "outcome": "accepted", "outcomeTimestamp": "2020-01-01T00:00:00Z"}
                ]
            },
            422,
        ),
    ],
)
def test_malformed_requests_are_refused_with_json(
    client: httpx.Client, path: str, body: dict[str, Any], status: int
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_spec_feedback_examples_are_acknowledged(client: httpx.Client, index: int) -> None:
    body = _example("feedback-requests.json")[index]
    response = client.post(f"/cds-services/{DAPT}/feedback", json=body)
    assert response.status_code == 200
    assert response.json() == {"received": 1}


class _FakeFhirServer(BaseHTTPRequestHandler):
    resources: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((unquote(self.path), self.headers.get("Authorization", "")))
        kind = urlsplit(self.path).path.strip("/").split("/")[0]
        body = json.dumps(self.resources.get(kind, {"resourceType": "OperationOutcome"}))
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fhir_server() -> Iterator[str]:
    prefetch = _prefetch()
    labs_and_answers = _bundle(
        [e["resource"] for e in prefetch["labs"]["entry"]]
        + [e["resource"] for e in prefetch["answers"]["entry"]]
    )
    _FakeFhirServer.resources = {
        "Patient": prefetch["patient"],
        "Procedure": prefetch["pci"],
        "Observation": labs_and_answers,
    }
    _FakeFhirServer.seen = []
    with serve_handler(_FakeFhirServer) as url:
        yield url


def _with_token(fhir_server: str) -> dict[str, Any]:
    request = _clopidogrel_request()
    request["fhirServer"] = fhir_server
    request["fhirAuthorization"] = {
        "access_token": "secret-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Observation.read",
        "subject": "stentguide",
    }
    return request


def test_a_fhir_server_not_on_the_sites_list_is_never_contacted(
    client: httpx.Client, fhir_server: str
) -> None:
    cards = _cards(client.post(f"/cds-services/{DAPT}", json=_with_token(fhir_server)))
    assert _FakeFhirServer.seen == []
    problems = next(c for c in cards if "could not read" in c["summary"])
    assert "fhirServer" in problems["detail"] and "prefetch.labs" in problems["detail"]


def test_without_prefetch_the_service_reads_the_clients_fhir_server_with_its_token(
    tmp_path: Path, fhir_server: str
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.sqlite'}",
        secret_key="k" * 48,
        cds_fhir_servers=(fhir_server,),
    )
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as c:
        cards = _cards(c.post(f"/cds-services/{DAPT}", json=_with_token(fhir_server)))
    assert cards[0]["summary"].startswith("Suggested DAPT duration")
    paths = [p for p, _ in _FakeFhirServer.seen]
    assert "/Patient/1288992" in paths
    assert any(
        p.startswith("/Observation?patient=1288992&code=http://loinc.org|2160-0") for p in paths
    )
    assert {auth for _, auth in _FakeFhirServer.seen} == {"Bearer secret-token"}
    assert "secret-token" not in json.dumps(cards)


def test_every_score_input_has_a_source(client: httpx.Client) -> None:
    """Every input of the three scores is read from the patient, a lab or a recorded answer."""
    names = {v.name for s in ("precise-dapt", "arc-hbr", "dapt") for v in get_spec(s).variables}
    answers = {e["resource"]["code"]["coding"][0]["code"] for e in _answers()["entry"]}
    assert names <= FROM_PATIENT_OR_LABS | answers


def test_the_cds_endpoints_are_fuzzed_without_a_server_error(server: LiveServer) -> None:
    """The CDS endpoints are in the OpenAPI document that test_fuzz covers; fuzz them harder."""
    operations = [op for op in _operations(server) if op.path.startswith("/cds-services")]
    assert {(op.method.upper(), op.path) for op in operations} == {
        ("GET", "/cds-services"),
        ("POST", "/cds-services/{service_id}"),
        ("POST", "/cds-services/{service_id}/feedback"),
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case: schemathesis.Case) -> None:
            if "service_id" in (case.path_parameters or {}) and case.path_parameters is not None:
                case.path_parameters["service_id"] = DAPT
            case.call_and_validate(base_url=server.url, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:
            pytest.fail(f"{operation.method.upper()} {operation.path}: {exc}")


def test_the_api_serves_a_pathway_and_a_run_as_fhir(client: httpx.Client) -> None:
    bundle = client.get("/api/protocols/partial-stent-loss/fhir")
    assert bundle.status_code == 200
    assert [e["resource"]["resourceType"] for e in bundle.json()["entry"]][:2] == [
        "PlanDefinition",
        "Questionnaire",
    ]
    assert client.get("/api/protocols/no-such-pathway/fhir").status_code == 404
    run = client.post("/api/sessions", json={"protocol_id": "partial-stent-loss"}).json()
    response = client.get(f"/api/sessions/{run['session_id']}/fhir")
    assert response.status_code == 200
    qr = response.json()
    assert qr["resourceType"] == "QuestionnaireResponse" and qr["status"] == "in-progress"
    assert client.get("/api/sessions/0123456789abcdef0123456789abcdef/fhir").status_code == 404
