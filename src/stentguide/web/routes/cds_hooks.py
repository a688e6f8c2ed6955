"""CDS Hooks 2.0 endpoints: discovery, the services and their feedback (JSON only).

The logic is :mod:`stentguide.interop.cds_hooks`; this module only parses the
request, hands the caller's token to the verifier, passes the app's base URL (for
the links on cards) and maps an unknown service to 404. These endpoints need no
login: an EHR calls them server to server, with a JWT it signs (verified by
:mod:`stentguide.interop.cds_hooks.trust` when the site lists the clients it
trusts). They read and write no registry data and keep nothing from a call; see
"Access" in ``docs/interop.md``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from stentguide.interop import cds_hooks
from stentguide.interop.cds_hooks.trust import UntrustedClientError, VerifiedClient
from stentguide.web.errors import NotFoundError

_NO_CLIENT_TRUSTED = (
    "this server trusts no CDS client: list them with --cds-client ISSUER=JWKS "
    "(or --cds-open where the site itself restricts who reaches /cds-services)"
)


def trusted_client(request: Request) -> VerifiedClient | None:
    """The CDS client whose signed JWT came with the call (``None`` where calls are open).

    A plain function, so that reading a client's key set (at most 5 s, now and
    then) takes a worker thread, not the event loop.
    """
    trust = request.app.state.cds_trust
    if trust is None:
        if request.app.state.settings.cds_open_without_token:
            return None
        raise _unauthorized(_NO_CLIENT_TRUSTED)
    base = request.app.state.settings.cds_audience
    endpoint = (
        str(request.url.replace(query=""))
        if base is None
        else base.rstrip("/") + request.url.path.removeprefix(request.scope.get("root_path", ""))
    )
    try:
        client: VerifiedClient = trust.verify(request.headers.get("authorization"), endpoint)
    except UntrustedClientError as exc:
        raise _unauthorized(str(exc)) from None
    return client


def _unauthorized(reason: str) -> HTTPException:
    # a header is ASCII: anything else in the reason (a caller's issuer) becomes "?"
    shown = "".join(c if " " <= c <= "~" else "?" for c in reason)
    quoted = shown.replace("\\", "\\\\").replace('"', '\\"')
    return HTTPException(
        401,
        detail=reason,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{quoted}"'},
    )


router = APIRouter(
    tags=["cds-hooks"],
    dependencies=[Depends(trusted_client)],
    responses={
        401: {
            "description": "No JWT signed by a trusted CDS client for this URL "
            "(where the site lists its clients; see Trusting CDS Clients)."
        }
    },
)


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
