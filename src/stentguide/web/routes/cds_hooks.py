"""CDS Hooks 2.0 endpoints: discovery, the services and their feedback (JSON only).

The logic is :mod:`stentguide.interop.cds_hooks`; this module only parses the
request, passes the app's base URL (for the links on cards) and maps an unknown
service to 404. These endpoints need no login: an EHR calls them server to
server. They read and write no registry data and keep nothing from a call; see
"Access" in ``docs/interop.md`` for how a site protects them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from stentguide.interop import cds_hooks
from stentguide.web.errors import NotFoundError

router = APIRouter(tags=["cds-hooks"])


def _known(service_id: str) -> None:
    if service_id not in cds_hooks.service_ids():
        raise NotFoundError("CDS service", service_id, cds_hooks.service_ids())


@router.get("/cds-services", response_model_exclude_none=True)
def discovery() -> cds_hooks.Discovery:
    """CDS Hooks discovery: the services, their hooks and prefetch templates."""
    return cds_hooks.discovery()


@router.post("/cds-services/{service_id}", response_model_exclude_none=True)
def call(service_id: str, body: cds_hooks.CdsRequest, request: Request) -> cds_hooks.CdsResponse:
    """Call a service: cards with results, missing inputs, suggestions and links."""
    _known(service_id)
    settings = request.app.state.settings
    return cds_hooks.call_service(
        service_id,
        body,
        base_url=str(request.base_url),
        fhir_servers=settings.cds_fhir_servers,
    )


@router.post("/cds-services/{service_id}/feedback")
def feedback(service_id: str, body: cds_hooks.FeedbackRequest) -> dict[str, int]:
    """Feedback on cards (accepted or overridden); validated, acknowledged, not stored."""
    _known(service_id)
    return cds_hooks.receive_feedback(service_id, body)
