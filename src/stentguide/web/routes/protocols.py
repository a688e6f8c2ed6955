"""Pathways: the list, each pathway as a flowchart with its steps, and the JSON API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from pydantic import BaseModel
from starlette.responses import HTMLResponse, Response

from stentguide.errors import UnknownNameError
from stentguide.protocols import Protocol, get_protocol, load_protocols, protocol_as_dict
from stentguide.web.flowchart import protocol_svg
from stentguide.web.lookup import ProtocolInPath, find_or_404
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render
from stentguide.web.views import sources_view

router = APIRouter()
NAV = (NavLink(40, "Flowcharts", "/protocols"),)


class ProtocolSummary(BaseModel):
    """A line of the pathway list."""

    id: str
    version: str
    title: str
    summary: str
    when_to_use: str


def protocol_or_404(protocol_id: str) -> Protocol:
    """The shipped protocol, or a 404 with close names (routes take :data:`ProtocolInPath`)."""
    return find_or_404("protocol", protocol_id, get_protocol)


def _summary(p: Protocol) -> ProtocolSummary:
    return ProtocolSummary(
        id=p.id, version=p.version, title=p.title, summary=p.summary, when_to_use=p.when_to_use
    )


@router.get("/api/protocols", tags=["protocols"])
def api_protocols() -> list[ProtocolSummary]:
    """The shipped management pathways."""
    return [_summary(p) for p in load_protocols().values()]


@router.get("/api/protocols/{protocol_id}", tags=["protocols"])
def api_protocol(protocol: ProtocolInPath) -> dict[str, Any]:
    """One pathway as data: nodes, answers, key messages, parameters and sources."""
    return protocol_as_dict(protocol)


@router.get(
    "/api/protocols/{protocol_id}/flowchart.svg",
    tags=["protocols"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def api_flowchart(
    protocol: ProtocolInPath,
    current: Annotated[str | None, Query(max_length=64, description="Node to highlight")] = None,
) -> Response:
    """The pathway as an SVG flowchart; ``current`` highlights one step."""
    if current is not None:
        known = [n.id for n in protocol.nodes]
        if current not in known:
            raise UnknownNameError("node", current, known)
    return Response(protocol_svg(protocol, current=current), media_type="image/svg+xml")


@router.get("/protocols", include_in_schema=False)
def protocols_page(request: Request) -> HTMLResponse:
    """Every pathway, with a link to its flowchart."""
    return render(
        request,
        "protocols/list.html",
        {"protocols": list(load_protocols().values())},
        title="Pathways",
    )


@router.get("/protocols/{protocol_id}", include_in_schema=False)
def protocol_page(request: Request, protocol: ProtocolInPath) -> HTMLResponse:
    """One pathway: the flowchart, then every step with its details and sources."""
    svg = Markup(protocol_svg(protocol, link_prefix="#node-"))
    keys = list(protocol.sources) + [k for n in protocol.nodes for k in n.sources]
    return render(
        request,
        "protocols/show.html",
        {"protocol": protocol, "svg": svg, "sources": sources_view(keys)},
        title=protocol.title,
    )
