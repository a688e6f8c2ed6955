"""Trusting CDS clients: the signed JWT of a CDS Hooks call, checked as CDS Hooks 2.0 says.

Keys are made here (ES384 and RS384, the algorithms the specification has services
support); each test signs tokens as an EHR would and hands them to the verifier
with a set clock, so expiry is tested without waiting.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from stentguide.errors import InputError
from stentguide.interop.cds_hooks.trust import (
    CdsClient,
    ClientTrust,
    UntrustedClientError,
    VerifiedClient,
)
from tests.web.live import serve_handler

EHR = "https://ehr.example.org"
JWKS = "https://ehr.example.org/.well-known/jwks.json"
ENDPOINT = "https://cds.example.org/cds-services/stentguide-dapt-duration"
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Ehr:
    """A CDS client: its keys, the key set it publishes, the tokens it signs."""

    def __init__(self) -> None:
        self.ec = ECKey.generate_key("P-384", parameters={"kid": "ec-1"})
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
        self.published = [self.ec, self.rsa]

    def key_set(self, _client: CdsClient | None = None) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.published]}

    def token(
        self,
        *,
        alg: str = "ES384",
        key: Any = None,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        key = key if key is not None else (self.ec if alg == "ES384" else self.rsa)
        payload: dict[str, Any] = {
            "iss": EHR,
            "sub": "client-7",
            "aud": ENDPOINT,
            "iat": int(NOW),
            "exp": int(NOW) + 300,
            "jti": str(uuid.uuid4()),
            **claims,
        }
        for name in drop:
            payload.pop(name)
        protected = {"alg": alg, "typ": "JWT", "kid": key.kid, **(header or {})}
        return jwt.encode(protected, payload, key, algorithms=[alg])


@pytest.fixture
def ehr() -> Ehr:
    return Ehr()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def trust(ehr: Ehr, clock: Clock) -> ClientTrust:
    return ClientTrust([CdsClient(EHR, JWKS)], read_key_set=ehr.key_set, now=clock)


def _refused(trust: ClientTrust, authorization: str | None, why: str) -> None:
    with pytest.raises(UntrustedClientError, match=why):
        trust.verify(authorization, ENDPOINT)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_token_the_client_signed_is_accepted_once(trust: ClientTrust, ehr: Ehr, alg: str) -> None:
    token = ehr.token(alg=alg, tenant="hospital-3")
    client = trust.verify(f"Bearer {token}", ENDPOINT)
    assert client == VerifiedClient(
        issuer=EHR, subject="client-7", tenant="hospital-3", jti=client.jti
    )
    _refused(trust, f"Bearer {token}", "used before")


def test_the_audience_may_be_a_list_and_a_trailing_slash_does_not_matter(
    trust: ClientTrust, ehr: Ehr
) -> None:
    assert trust.verify(f"bearer {ehr.token(aud=['https://other', ENDPOINT + '/'])}", ENDPOINT)


@pytest.mark.parametrize(
    ("authorization", "why"),
    [
        (None, "no Authorization header"),
        ("", "no Authorization header"),
        ("Basic dXNlcjpwYXNz", "not 'Bearer <JWT>'"),
        ("Bearer ", "not 'Bearer <JWT>'"),
        ("Bearer not.a.jwt", "not a signed JWT"),
        ("Bearer " + "a" * 20_000, "too long"),
    ],
)
def test_a_call_without_a_signed_token_is_refused(
    trust: ClientTrust, authorization: str | None, why: str
) -> None:
    _refused(trust, authorization, why)


def test_tokens_the_client_did_not_sign_or_not_for_this_endpoint_are_refused(
    trust: ClientTrust, ehr: Ehr
) -> None:
    impostor = ECKey.generate_key("P-384", parameters={"kid": "ec-1"})  # the same kid
    _refused(trust, f"Bearer {ehr.token(key=impostor)}", "signature does not verify")
    _refused(trust, f"Bearer {ehr.token(iss='https://elsewhere')}", "not a trusted CDS client")
    _refused(trust, f"Bearer {ehr.token(aud='https://cds.example.org/cds-services')}", "aud")
    unknown = ECKey.generate_key("P-384", parameters={"kid": "ec-9"})
    _refused(trust, f"Bearer {ehr.token(key=unknown)}", "no key 'ec-9'")
    _refused(trust, f"Bearer {ehr.token(header={'jku': 'https://evil/jwks'})}", "jku")
    assert trust.verify(f"Bearer {ehr.token(header={'jku': JWKS})}", ENDPOINT)


def test_only_es384_and_rs384_are_accepted(trust: ClientTrust, ehr: Ehr) -> None:
    secret = OctKey.generate_key(256, parameters={"kid": "ec-1"})
    _refused(trust, f"Bearer {ehr.token(alg='HS256', key=secret)}", "alg must be one of")
    es256 = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    _refused(trust, f"Bearer {ehr.token(alg='ES256', key=es256)}", "alg must be one of")
    header = {"alg": "none", "typ": "JWT", "kid": "ec-1"}
    body = {"iss": EHR, "aud": ENDPOINT, "iat": NOW, "exp": NOW + 60, "jti": "x"}
    unsigned = ".".join(_b64(part) for part in (header, body)) + "."
    _refused(trust, f"Bearer {unsigned}", "alg must be one of")


def _b64(part: dict[str, Any]) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("claims", "drop", "why"),
    [
        ({"exp": int(NOW) - 31}, (), "expired"),
        ({"iat": int(NOW) + 120, "exp": int(NOW) + 400}, (), "issued in the future"),
        ({"exp": int(NOW) + 3600}, (), "longer than 5 minutes"),
        ({}, ("jti",), "no jti claim"),
        ({}, ("exp",), "no exp claim"),
        ({}, ("aud",), "no aud claim"),
        ({}, ("iat",), "no iat claim"),
        ({"jti": ""}, (), "malformed"),
        ({"exp": "soon"}, (), "malformed"),
    ],
)
def test_token_times_and_nonce_are_checked(
    trust: ClientTrust, ehr: Ehr, claims: dict[str, Any], drop: tuple[str, ...], why: str
) -> None:
    _refused(trust, f"Bearer {ehr.token(drop=drop, **claims)}", why)


def test_a_small_clock_difference_is_allowed(trust: ClientTrust, ehr: Ehr, clock: Clock) -> None:
    token = ehr.token(iat=int(NOW) + 20, exp=int(NOW) + 320)
    assert trust.verify(f"Bearer {token}", ENDPOINT)
    clock.now = NOW + 300 + 25  # just past exp, within the allowed difference
    assert trust.verify(f"Bearer {ehr.token()}", ENDPOINT)


def test_a_rotated_key_is_found_by_reading_the_key_set_again(
    trust: ClientTrust, ehr: Ehr, clock: Clock
) -> None:
    assert trust.verify(f"Bearer {ehr.token()}", ENDPOINT)
    new = ECKey.generate_key("P-384", parameters={"kid": "ec-2"})
    ehr.published = [new]
    # read a moment ago: an unknown kid does not make every call fetch the key set
    clock.now = NOW + 10
    _refused(trust, f"Bearer {ehr.token(key=new, iat=int(clock.now))}", "no key 'ec-2'")
    clock.now = NOW + 61
    later = ehr.token(key=new, iat=int(clock.now), exp=int(clock.now) + 300)
    assert trust.verify(f"Bearer {later}", ENDPOINT).issuer == EHR
    # the retired key is gone from the set read again
    _refused(trust, f"Bearer {ehr.token(iat=int(clock.now), exp=int(clock.now) + 60)}", "no key")


def test_keys_read_before_are_kept_while_the_key_set_cannot_be_read(
    ehr: Ehr, clock: Clock
) -> None:
    reads: list[float] = []

    def flaky(client: CdsClient) -> dict[str, Any]:
        reads.append(clock.now)
        if len(reads) > 1:
            raise UntrustedClientError(f"cannot read the key set of {client.issuer}: timed out")
        return ehr.key_set()

    trust = ClientTrust([CdsClient(EHR, JWKS)], read_key_set=flaky, now=clock)
    assert trust.verify(f"Bearer {ehr.token()}", ENDPOINT)
    for later in (700, 710, 770):  # kept set old: read again, failing; retried after a minute
        clock.now = NOW + later
        now = int(clock.now)
        assert trust.verify(f"Bearer {ehr.token(iat=now, exp=now + 300)}", ENDPOINT)
    assert reads == [NOW, NOW + 700, NOW + 770]


@pytest.mark.parametrize(
    ("published", "why"),
    [
        (b"<html>", "not JSON"),
        (b'{"no": "keys"}', "no 'keys' list"),
        (b'{"keys": [{"kty": "EC", "crv": "P-384", "x": "bad"}]}', "not a JWK Set"),
    ],
)
def test_a_bad_key_set_is_a_refusal_that_names_it(
    ehr: Ehr, tmp_path: Path, published: bytes, why: str
) -> None:
    file = tmp_path / "jwks.json"
    file.write_bytes(published)
    trust = ClientTrust([CdsClient(EHR, str(file))], now=lambda: NOW)
    _refused(trust, f"Bearer {ehr.token()}", why)


def test_the_key_set_is_read_from_a_file(ehr: Ehr, tmp_path: Path) -> None:
    file = tmp_path / "jwks.json"
    file.write_text(json.dumps(ehr.key_set()))
    trust = ClientTrust([CdsClient(EHR, str(file))], now=lambda: NOW)
    assert trust.verify(f"Bearer {ehr.token()}", ENDPOINT).subject == "client-7"
    missing = ClientTrust([CdsClient(EHR, str(tmp_path / "none.json"))], now=lambda: NOW)
    _refused(missing, f"Bearer {ehr.token()}", "cannot read the key set")


@pytest.fixture
def published_key_set(ehr: Ehr) -> Iterator[str]:
    """The EHR's key set served over HTTP on the loopback address."""
    body = json.dumps(ehr.key_set()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    with serve_handler(Handler) as url:
        yield f"{url}/jwks.json"


def test_the_key_set_is_read_from_the_listed_url(ehr: Ehr, published_key_set: str) -> None:
    trust = ClientTrust([CdsClient(EHR, published_key_set)], now=lambda: NOW)
    token = ehr.token(header={"jku": published_key_set})
    assert trust.verify(f"Bearer {token}", ENDPOINT).issuer == EHR


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("https://ehr.example.org", "ISSUER=JWKS"),
        ("=jwks.json", "issuer"),
        ("https://ehr.example.org=", "key set"),
        ("https://ehr.example.org=http://ehr.example.org/jwks", "https"),
    ],
)
def test_a_listed_client_is_checked_when_given(text: str, why: str) -> None:
    with pytest.raises(InputError, match=why):
        CdsClient.parse(text)


def test_a_listed_client_is_parsed_at_the_first_equals_sign() -> None:
    client = CdsClient.parse(f"{EHR}={JWKS}?v=2")
    assert client == CdsClient(EHR, f"{JWKS}?v=2") and client.is_url


@given(st.text(max_size=300))
def test_any_header_value_is_refused_in_words_never_a_crash(value: str) -> None:
    trust = ClientTrust([CdsClient(EHR, JWKS)], read_key_set=Ehr().key_set, now=lambda: NOW)
    with pytest.raises(UntrustedClientError):
        trust.verify(value, ENDPOINT)
    with pytest.raises(UntrustedClientError):
        trust.verify(f"Bearer {value}", ENDPOINT)


def test_many_calls_at_once_each_accepted_once(trust: ClientTrust, ehr: Ehr) -> None:
    tokens = [ehr.token() for _ in range(40)]
    accepted: list[VerifiedClient] = []
    refused: list[UntrustedClientError] = []

    def call(token: str) -> None:
        try:
            accepted.append(trust.verify(f"Bearer {token}", ENDPOINT))
        except UntrustedClientError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=partial(call, t)) for t in tokens + tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(accepted) == 40 and len(refused) == 40
    assert {client.jti for client in accepted} == {json.loads(_payload(t))["jti"] for t in tokens}


def _payload(token: str) -> bytes:
    import base64

    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
