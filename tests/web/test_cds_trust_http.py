"""CDS Hooks calls over HTTP when the site lists the CDS clients it trusts (a real server).

Every call, discovery included, must carry ``Authorization: Bearer <JWT>`` signed
by a listed client for the URL called; anything else is 401 with a
``WWW-Authenticate`` challenge that says why. With no client listed, the
endpoints are open, except in production, where they refuse every call unless
the site says it restricts access itself (``cds_open``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from stentguide.interop.cds_hooks.trust import CdsClient
from stentguide.web import Settings, create_app
from stentguide.web.production import ProductionRefusedError, check_production
from tests.conftest import CliRun
from tests.web.live import SECRET, serve_app

EHR = "https://ehr.example.org"
APP = "stentguide-pathway-app"
KEY = ECKey.generate_key("P-384", parameters={"kid": "ehr-2026"})


def _token(audience: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": EHR,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(
        {"alg": "ES384", "typ": "JWT", "kid": KEY.kid}, payload, KEY, algorithms=["ES384"]
    )


def _patient_view() -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "1288992"},
    }


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'registry.sqlite'}", secret_key=SECRET, **overrides
    )


@pytest.fixture
def trusting(tmp_path: Path) -> Iterator[str]:
    """A server that trusts one EHR, whose key set is a file."""
    jwks = tmp_path / "ehr-jwks.json"
    jwks.write_text(json.dumps({"keys": [KEY.as_dict(private=False)]}))
    settings = _settings(tmp_path, cds_clients=(CdsClient(EHR, str(jwks)),))
    with serve_app(create_app(settings)) as url:
        yield url


def test_calls_signed_by_a_listed_client_are_answered(trusting: str) -> None:
    discovery = f"{trusting}/cds-services"
    service = f"{discovery}/{APP}"
    with httpx.Client(timeout=60) as http:
        found = http.get(discovery, headers={"Authorization": f"Bearer {_token(discovery)}"})
        assert found.status_code == 200, found.text
        assert APP in {s["id"] for s in found.json()["services"]}
        called = http.post(
            service, json=_patient_view(), headers={"Authorization": f"Bearer {_token(service)}"}
        )
        assert called.status_code == 200, called.text
        assert called.json()["cards"]


@pytest.mark.parametrize(
    ("authorization", "why"),
    [
        (None, "no Authorization header"),
        ("Bearer not-a-token", "not a signed JWT"),
        ("discovery-token", "aud does not name this endpoint"),
        ("replayed", "used before"),
        ("other-issuer", "is not a trusted CDS client"),
    ],
)
def test_other_calls_are_refused_with_a_challenge(
    trusting: str, authorization: str | None, why: str
) -> None:
    discovery = f"{trusting}/cds-services"
    service = f"{discovery}/{APP}"
    with httpx.Client(timeout=60) as http:
        if authorization == "discovery-token":
            authorization = f"Bearer {_token(discovery)}"
        elif authorization == "replayed":
            authorization = f"Bearer {_token(service)}"
            first = http.post(
                service, json=_patient_view(), headers={"Authorization": authorization}
            )
            assert first.status_code == 200
        elif authorization == "other-issuer":
            authorization = f"Bearer {_token(service, iss='https://ehr.other.org/é')}"
        headers = {"Authorization": authorization} if authorization else {}
        refused = http.post(service, json=_patient_view(), headers=headers)
    assert refused.status_code == 401
    assert why in refused.json()["detail"]
    challenge = refused.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"') and why in challenge


def test_production_without_a_listed_client_refuses_unless_the_site_opens_it(
    tmp_path: Path,
) -> None:
    closed = create_app(_settings(tmp_path, production=True))
    with serve_app(closed) as url, httpx.Client(timeout=60) as http:
        refused = http.get(f"{url}/cds-services")
        assert refused.status_code == 401
        assert "--cds-client" in refused.json()["detail"]
    opened = create_app(_settings(tmp_path, production=True, cds_open=True))
    with serve_app(opened) as url, httpx.Client(timeout=60) as http:
        assert http.get(f"{url}/cds-services").status_code == 200
    development = create_app(_settings(tmp_path))
    with serve_app(development) as url, httpx.Client(timeout=60) as http:
        assert http.get(f"{url}/cds-services").status_code == 200


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("https://ehr.example.org", "ISSUER=JWKS"),
        ("https://ehr.example.org=http://ehr.example.org/jwks.json", "https"),
    ],
)
def test_serve_refuses_a_malformed_client_before_listening(
    cli: CliRun, value: str, why: str
) -> None:
    done = cli("serve", "--port", "1", "--cds-client", value)
    assert done.returncode == 2
    assert why in done.stderr and "Traceback" not in done.stderr


def test_with_a_set_audience_the_callers_host_header_does_not_decide(tmp_path: Path) -> None:
    """A token another service received, replayed here under its host name, is refused."""
    jwks = tmp_path / "ehr-jwks.json"
    jwks.write_text(json.dumps({"keys": [KEY.as_dict(private=False)]}))
    settings = _settings(
        tmp_path,
        cds_clients=(CdsClient(EHR, str(jwks)),),
        cds_audience="https://cds.hospital.example",
    )
    with serve_app(create_app(settings)) as url, httpx.Client(timeout=60) as http:
        ours = _token("https://cds.hospital.example/cds-services")
        answered = http.get(f"{url}/cds-services", headers={"Authorization": f"Bearer {ours}"})
        assert answered.status_code == 200, answered.text
        theirs = _token("https://other-service.example/cds-services")
        replayed = http.get(
            f"{url}/cds-services",
            headers={"Authorization": f"Bearer {theirs}", "Host": "other-service.example"},
        )
        assert replayed.status_code == 401
        assert "https://cds.hospital.example/cds-services" in replayed.json()["detail"]
        by_request = _token(f"{url}/cds-services")
        refused = http.get(f"{url}/cds-services", headers={"Authorization": f"Bearer {by_request}"})
        assert refused.status_code == 401


def test_production_with_listed_clients_needs_the_audience(tmp_path: Path) -> None:
    jwks = tmp_path / "ehr-jwks.json"
    jwks.write_text(json.dumps({"keys": [KEY.as_dict(private=False)]}))
    settings = _settings(tmp_path, production=True, cds_clients=(CdsClient(EHR, str(jwks)),))
    with pytest.raises(ProductionRefusedError, match="--cds-audience"):
        check_production(settings, host="127.0.0.1", tls=False, behind_proxy=False)
    with_audience = _settings(
        tmp_path,
        production=True,
        cds_clients=(CdsClient(EHR, str(jwks)),),
        cds_audience="https://cds.hospital.example",
    )
    check_production(with_audience, host="127.0.0.1", tls=False, behind_proxy=False)


@pytest.mark.parametrize("value", ["cds.hospital.example", "https://cds.example?x=1", "ftp://h"])
def test_serve_refuses_an_audience_that_is_not_a_base_url(cli: CliRun, value: str) -> None:
    done = cli("serve", "--port", "1", "--cds-audience", value)
    assert done.returncode == 2
    assert "cds_audience" in done.stderr and "Traceback" not in done.stderr
