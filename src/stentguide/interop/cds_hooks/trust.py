"""Trusting CDS clients: the signed JWT a CDS Hooks client sends with every call.

CDS Hooks 2.0 ("Trusting CDS Clients") has the client (an EHR) send
``Authorization: Bearer <JWT>`` on every call, discovery included. The JWT is
signed with the client's private key (``alg`` ES384 or RS384, ``kid`` naming the
key); its public keys are a JWK Set the client publishes. The claims are ``iss``
(the client), ``aud`` (the URL of the endpoint called), ``exp``, ``iat`` and
``jti`` (a nonce against replay); ``sub`` and ``tenant`` are optional.

A site lists the clients it trusts, each an issuer with the place of its JWK Set
(an https URL, plain http to the loopback address only, or a file), with
:class:`CdsClient`. :meth:`ClientTrust.verify` then accepts a call only when the
token's issuer is listed, its ``jku`` (if any) is the listed key set, the
signature verifies with a key of that set, ``aud`` names the endpoint, the token
has not expired and lives at most :data:`MAX_LIFETIME_SECONDS`, and its ``jti`` was
not seen before. A key set named by the token itself is never fetched: only the
listed ones are, so a caller cannot make the server read an arbitrary URL or bring
its own keys.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stentguide.errors import InputError, StentguideError
from stentguide.interop.cds_hooks.client import https_or_loopback

__all__ = [
    "ALGORITHMS",
    "MAX_LIFETIME_SECONDS",
    "CdsClient",
    "ClientTrust",
    "UntrustedClientError",
    "VerifiedClient",
    "audience_base",
]

ALGORITHMS = ("ES384", "RS384")
"""The signing algorithms CDS Hooks 2.0 has services support (none other is accepted)."""

MAX_LIFETIME_SECONDS = 300
"""A token's ``exp`` is at most this far ahead (the specification: no more than 5 minutes)."""

CLOCK_SKEW_SECONDS = 30
"""How far the client's clock may be off ours, for ``exp`` and ``iat``."""

MAX_TOKEN_CHARS = 16_384
"""The longest bearer token read (a signed CDS Hooks JWT is well under 2,000 characters)."""

MAX_KEY_SET_BYTES = 1024 * 1024
"""The largest JWK Set read from a URL or file."""

KEY_SET_KEPT_SECONDS = 600.0
"""How long a fetched JWK Set is used before it is read again (kept on if it cannot be)."""

KEY_SET_RETRY_SECONDS = 60.0
"""An unknown ``kid`` reads the key set again (a rotated key), at most this often."""

MAX_REMEMBERED_NONCES = 100_000
"""The most unexpired ``jti`` values kept against replay (over 300 calls a second)."""


class UntrustedClientError(StentguideError):
    """A CDS Hooks call without a token this service trusts (HTTP 401).

    The message says what was wrong (no token, an unlisted issuer, a bad signature,
    the wrong audience, an expired or replayed token) without echoing the token.
    """


@dataclass(frozen=True)
class VerifiedClient:
    """Who called: the verified claims a service may log or use."""

    issuer: str
    subject: str | None
    tenant: str | None
    jti: str


@dataclass(frozen=True)
class CdsClient:
    """A trusted CDS client: its ``iss`` and where its public JWK Set is."""

    issuer: str
    jwks: str

    def __post_init__(self) -> None:
        if not self.issuer.strip():
            raise InputError("CDS client without an issuer", {"cds_client": "issuer is empty"})
        if not self.jwks.strip():
            raise InputError(
                "CDS client without a key set", {"cds_client": f"{self.issuer}: JWKS is empty"}
            )
        if self.is_url:
            _check_key_set_url(self.jwks)

    @classmethod
    def parse(cls, text: str) -> CdsClient:
        """``ISSUER=JWKS`` (as ``stentguide serve --cds-client`` takes it)."""
        issuer, sep, jwks = text.partition("=")
        if not sep:
            raise InputError(
                "CDS client must be ISSUER=JWKS",
                {"cds_client": f"{text!r}: no '=' between the issuer and its key set"},
            )
        return cls(issuer.strip(), jwks.strip())

    @property
    def is_url(self) -> bool:
        """Whether the key set is read from a URL (else from a file)."""
        return self.jwks.startswith(("https://", "http://"))


def audience_base(url: str) -> str:
    """The base URL clients call the service at, checked (http(s), a host, no query).

    A token's ``aud`` is compared with it followed by the endpoint's path, so that
    the check does not rest on the ``Host`` header a caller chooses.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(
            "the CDS audience must be a base URL",
            {"cds_audience": f"{url!r}: give https://host[:port][/path]"},
        )
    return url.strip().rstrip("/")


def _check_key_set_url(url: str) -> None:
    if not https_or_loopback(url):
        raise InputError(
            "a CDS client's key set must be read over https",
            {"cds_client": f"{url}: plain http only to the loopback address"},
        )


def _read_key_set(client: CdsClient) -> dict[str, Any]:
    """The client's JWK Set as JSON (bounded, never a URL other than the listed one)."""
    try:
        if client.is_url:
            request = urllib.request.Request(client.jwks, headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as response:  # a listed URL only
                raw = response.read(MAX_KEY_SET_BYTES + 1)
        else:
            with Path(client.jwks).expanduser().open("rb") as handle:
                raw = handle.read(MAX_KEY_SET_BYTES + 1)
    except OSError as exc:
        raise UntrustedClientError(f"cannot read the key set of {client.issuer}: {exc}") from None
    if len(raw) > MAX_KEY_SET_BYTES:
        raise UntrustedClientError(f"the key set of {client.issuer} is larger than 1 MiB")
    try:
        data = json.loads(raw)
    except ValueError:
        raise UntrustedClientError(f"the key set of {client.issuer} is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise UntrustedClientError(f"the key set of {client.issuer} has no 'keys' list")
    return data


class _KeySets:
    """Each trusted client's key set, read when first needed and kept a while."""

    def __init__(self, read: Callable[[CdsClient], dict[str, Any]], now: Callable[[], float]):
        self._read = read
        self._now = now
        self._kept: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, client: CdsClient, kid: str) -> Any:
        """The client's key set, read again when old or when it lacks ``kid`` (rotation)."""
        with self._lock:
            now = self._now()
            kept = self._kept.get(client.issuer)
            if kept is not None:
                read_at, key_set = kept
                fresh = now - read_at <= KEY_SET_KEPT_SECONDS
                if fresh and (_has_kid(key_set, kid) or now - read_at <= KEY_SET_RETRY_SECONDS):
                    return key_set
            try:
                key_set = self._import(client)
            except UntrustedClientError:
                if kept is None:
                    raise
                # the client's keys cannot be read just now: keep trusting the ones read
                # before, and try again a minute later
                key_set = kept[1]
                now = now - KEY_SET_KEPT_SECONDS + KEY_SET_RETRY_SECONDS
            self._kept[client.issuer] = (now, key_set)
            return key_set

    def _import(self, client: CdsClient) -> Any:
        from joserfc.jwk import KeySet

        data = self._read(client)
        try:
            return KeySet.import_key_set(data)  # type: ignore[arg-type]
        except Exception as exc:  # a key the JOSE library refuses
            raise UntrustedClientError(
                f"the key set of {client.issuer} is not a JWK Set: {exc}"
            ) from None


def _has_kid(key_set: Any, kid: str) -> bool:
    return any(key.kid == kid for key in key_set.keys)


class _Nonces:
    """The ``jti`` of accepted tokens until they expire: each is accepted once."""

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], float] = {}
        self._purge_at = 1024
        self._lock = threading.Lock()

    def first_use(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        with self._lock:
            if len(self._until) >= self._purge_at:  # expired ones forgotten, now and then
                oldest = now - CLOCK_SKEW_SECONDS
                self._until = {k: t for k, t in self._until.items() if t >= oldest}
                self._purge_at = max(1024, 2 * len(self._until))
            if len(self._until) >= MAX_REMEMBERED_NONCES:
                raise UntrustedClientError("too many calls at once to check them for replay")
            key = (issuer, jti)
            if key in self._until:
                return False
            self._until[key] = expires
            return True


class ClientTrust:
    """Verifies the bearer JWT of CDS Hooks calls against the listed clients.

    ``read_key_set`` and ``now`` are for tests (a key set from memory, a set clock).
    """

    def __init__(
        self,
        clients: Iterable[CdsClient],
        *,
        read_key_set: Callable[[CdsClient], dict[str, Any]] = _read_key_set,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.clients = {client.issuer: client for client in clients}
        if not self.clients:
            raise InputError("no CDS client to trust", {"cds_client": "list at least one"})
        self._now = now
        self._key_sets = _KeySets(read_key_set, now)
        self._nonces = _Nonces()

    def verify(self, authorization: str | None, audience: str) -> VerifiedClient:
        """The client that signed the call's token, or :class:`UntrustedClientError`.

        ``authorization`` is the request's ``Authorization`` header; ``audience`` the
        URL of the endpoint called (compared without a trailing slash).
        """
        from joserfc import jws, jwt
        from joserfc.errors import JoseError

        token = _bearer(authorization)
        try:
            unverified = jws.extract_compact(token.encode("ascii"))
            header = unverified.headers()
            claims = json.loads(unverified.payload)
        except (JoseError, ValueError, UnicodeError):
            raise UntrustedClientError("the bearer token is not a signed JWT") from None
        if not isinstance(claims, dict):
            raise UntrustedClientError("the token's claims are not a JSON object")
        issuer = claims.get("iss")
        client = self.clients.get(issuer) if isinstance(issuer, str) else None
        if client is None:
            shown = repr(issuer)[:200]
            raise UntrustedClientError(f"the issuer {shown} is not a trusted CDS client")
        if header.get("alg") not in ALGORITHMS:
            raise UntrustedClientError(f"the token's alg must be one of {', '.join(ALGORITHMS)}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UntrustedClientError("the token's header has no kid")
        jku = header.get("jku")
        if jku is not None and jku != client.jwks:
            raise UntrustedClientError(f"the token's jku is not the key set listed for {issuer}")
        key_set = self._key_sets.get(client, kid)
        if not _has_kid(key_set, kid):
            raise UntrustedClientError(f"no key {kid[:100]!r} in the key set of {issuer}")
        try:
            verified = jwt.decode(token, key_set, algorithms=list(ALGORITHMS))
        except JoseError:
            raise UntrustedClientError("the token's signature does not verify") from None
        return self._checked(verified.claims, client, audience)

    def _checked(self, claims: dict[str, Any], client: CdsClient, audience: str) -> VerifiedClient:
        now = self._now()
        for name in ("aud", "exp", "iat", "jti"):
            if claims.get(name) is None:
                raise UntrustedClientError(f"the token has no {name} claim")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        wanted = audience.rstrip("/")
        if not any(isinstance(a, str) and a.rstrip("/") == wanted for a in audiences):
            raise UntrustedClientError(f"the token's aud does not name this endpoint ({wanted})")
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not _number(exp) or not _number(iat) or not isinstance(jti, str) or not jti:
            raise UntrustedClientError("the token's exp, iat or jti is malformed")
        if exp <= now - CLOCK_SKEW_SECONDS:
            raise UntrustedClientError("the token has expired")
        if iat > now + CLOCK_SKEW_SECONDS:
            raise UntrustedClientError("the token was issued in the future")
        if exp > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
            raise UntrustedClientError("the token lives longer than 5 minutes")
        if not self._nonces.first_use(client.issuer, jti, float(exp), now):
            raise UntrustedClientError("the token was used before (jti replayed)")
        subject, tenant = claims.get("sub"), claims.get("tenant")
        return VerifiedClient(
            issuer=client.issuer,
            subject=subject if isinstance(subject, str) else None,
            tenant=tenant if isinstance(tenant, str) else None,
            jti=jti,
        )


def _number(value: object) -> bool:
    """A JSON NumericDate: a finite number (not a boolean, NaN or infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise UntrustedClientError("no Authorization header: a CDS client sends a signed JWT")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UntrustedClientError("the Authorization header is not 'Bearer <JWT>'")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise UntrustedClientError("the bearer token is too long")
    return token
