"""``stentguide-pathway-app`` (hook ``patient-view``): a card linking to the app."""

from __future__ import annotations

import uuid

from stentguide import DISCLAIMER
from stentguide.interop.cds_hooks.models import (
    Card,
    CdsRequest,
    CdsResponse,
    Link,
    ServiceDescription,
    Source,
)
from stentguide.interop.cds_hooks.prefetch import Prefetch

__all__ = ["description", "run"]


def run(_request: CdsRequest, _prefetch: Prefetch, base_url: str) -> CdsResponse:
    """One card linking to the pathways and the patient leaflet of the app at ``base_url``."""
    base = base_url.rstrip("/")
    card = Card(
        uuid=str(uuid.uuid4()),
        summary="Stent loss and failed delivery pathways, and the patient leaflet (stentguide)",
        detail=(
            "Step-by-step management pathways for a lost, displaced or undeliverable stent, "
            "with device checks and a timed record; and the printable patient leaflet after "
            f"PCI.\n\n{DISCLAIMER}"
        ),
        indicator="info",
        source=Source(label="stentguide", url=f"{base}/"),
        links=[
            Link(label="Run a stent-complication pathway", url=f"{base}/runs/new", type="absolute"),
            Link(label="Prepare the patient leaflet", url=f"{base}/leaflets", type="absolute"),
        ],
    )
    return CdsResponse(cards=[card])


def description() -> ServiceDescription:
    """The service as discovery lists it (it needs no prefetch)."""
    return ServiceDescription(
        hook="patient-view",
        id="stentguide-pathway-app",
        title="Stent complication pathways and patient leaflet",
        description="A card linking to the stentguide pathways and the patient leaflet.",
        usageRequirements="Enable in cath-lab and cardiology contexts only.",
    )
