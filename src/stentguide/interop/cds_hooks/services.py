"""The services by id: discovery, a call (with its prefetch) and feedback."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass

from stentguide.errors import InputError
from stentguide.interop.cds_hooks import dapt, pathway_app
from stentguide.interop.cds_hooks.client import Fetcher, http_fetcher
from stentguide.interop.cds_hooks.models import (
    CdsRequest,
    CdsResponse,
    Discovery,
    FeedbackRequest,
    FhirAuthorization,
    ServiceDescription,
)
from stentguide.interop.cds_hooks.prefetch import Prefetch

__all__ = ["call_service", "discovery", "receive_feedback", "service_ids"]


@dataclass(frozen=True)
class _Service:
    description: ServiceDescription
    run: Callable[[CdsRequest, Prefetch, str], CdsResponse]


@functools.cache
def _services() -> dict[str, _Service]:
    services = (
        _Service(dapt.description(), dapt.run),
        _Service(pathway_app.description(), pathway_app.run),
    )
    return {s.description.id: s for s in services}


def discovery() -> Discovery:
    """The discovery response: every service with its hook and prefetch templates."""
    return Discovery(services=[s.description for s in _services().values()])


def service_ids() -> list[str]:
    return list(_services())


def call_service(
    service_id: str,
    request: CdsRequest,
    *,
    base_url: str,
    fhir_servers: Collection[str] = (),
    fetcher_factory: Callable[[str, FhirAuthorization], Fetcher] = http_fetcher,
) -> CdsResponse:
    """Answer one service call.

    ``fhir_servers`` are the client FHIR servers the service may read with the
    request's ``fhirAuthorization`` (an allow-list set by the site: any other
    ``fhirServer`` is not contacted, so a caller cannot point the service at an
    arbitrary URL). Unknown ids raise ``KeyError``; a hook that is not the
    service's raises :class:`InputError` naming ``hook``.
    """
    service = _services()[service_id]
    if request.hook != service.description.hook:
        raise InputError(
            "wrong hook for this service",
            {"hook": f"{service_id} answers {service.description.hook}, not {request.hook}"},
        )
    fetcher = None
    refused = None
    if request.fhirServer is not None and request.fhirAuthorization is not None:
        server = str(request.fhirServer).rstrip("/")
        if server not in {s.rstrip("/") for s in fhir_servers}:
            refused = "not on this service's list of FHIR servers; it was not read"
        else:
            try:
                fetcher = fetcher_factory(server, request.fhirAuthorization)
            except InputError:
                refused = "must use https; it was not read"
    prefetch = Prefetch(
        templates=service.description.prefetch or {},
        given=request.prefetch or {},
        context=request.context,
        fetcher=fetcher,
    )
    if refused is not None and service.description.prefetch:
        prefetch.problems["fhirServer"] = refused
    return service.run(request, prefetch, base_url)


def receive_feedback(service_id: str, body: FeedbackRequest) -> dict[str, int]:
    """Validate feedback for a service; nothing is stored (see the module docstring)."""
    _services()[service_id]
    return {"received": len(body.feedback)}
