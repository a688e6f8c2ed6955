"""The FHIR-server client: reads a prefetch query on the client's server with its token."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from stentguide.errors import InputError
from stentguide.interop.cds_hooks.models import FhirAuthorization

__all__ = ["Fetcher", "http_fetcher", "https_or_loopback"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def https_or_loopback(url: str) -> bool:
    """Whether ``url`` may be read: https, or plain http to the loopback address only."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)

Fetcher = Callable[[str], Any]
"""Reads one relative FHIR query (``Patient/123``) on the client's server; returns JSON."""


def http_fetcher(server: str, authorization: FhirAuthorization, *, timeout: float = 5.0) -> Fetcher:
    """A fetcher that reads from the client's FHIR server with its bearer token.

    The token is used for these reads only and kept nowhere else. Plain ``http`` is
    refused except to the loopback address (the spec requires https for real data).
    """
    base = server.rstrip("/")
    if not https_or_loopback(base):
        raise InputError("insecure FHIR server", {"fhirServer": "must use https"})

    def fetch(query: str) -> Any:
        request = urllib.request.Request(
            f"{base}/{query.lstrip('/')}",
            headers={
                "Authorization": f"Bearer {authorization.access_token}",
                "Accept": "application/fhir+json",
            },
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))

    return fetch
