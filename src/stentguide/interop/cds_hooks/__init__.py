"""A CDS Hooks 2.0 service: discovery, two services and feedback (the web app's core).

Services
--------
``stentguide-dapt-duration`` (hook ``order-sign``)
    When the draft orders hold a P2Y12 inhibitor (clopidogrel, prasugrel or
    ticagrelor, by RxNorm or ATC code or by name) and the patient has a PCI on
    record, it computes PRECISE-DAPT, ARC-HBR and the DAPT score from the
    prefetched FHIR data and returns one card per score (its result, or the inputs
    that are missing and where to supply them) and one card with the suggested DAPT
    duration, its sources and, where the source gives a figure, suggestions that set
    the duration and end date on the draft order.
``stentguide-pathway-app`` (hook ``patient-view``)
    One card linking to the stent-complication pathways and to the patient leaflet.

Data
----
Each score input is read, in order, from the Patient (age from ``birthDate``, sex
from ``gender``), from laboratory Observations by LOINC code (units checked,
never guessed; ``knowledge/interop/cds.yaml``), or from an Observation coded
``urn:stentguide:codesystem:score-input|{input name}`` (the history items that no
laboratory holds: prior bleeding, oral anticoagulation, ...). Creatinine clearance
is computed with the shipped Cockcroft-Gault score. Nothing is defaulted: a
missing input is named on a card. A prefetch key the client did not send is read
from the client's FHIR server when it sent ``fhirServer`` and ``fhirAuthorization``
(the token is used for those reads only and never stored); otherwise it is named
as missing. A malformed prefetch value is named too: the service answers with
cards, never with a server error.

The service keeps nothing from a call: no registry case is read or written, and
feedback is validated and acknowledged but not stored.
"""

from stentguide.interop.cds_hooks.client import Fetcher, http_fetcher
from stentguide.interop.cds_hooks.data import SCORE_INPUT_SYSTEM
from stentguide.interop.cds_hooks.models import (
    AcceptedSuggestion,
    Action,
    Card,
    CdsRequest,
    CdsResponse,
    Coding,
    Discovery,
    Feedback,
    FeedbackRequest,
    FhirAuthorization,
    Link,
    OverrideReason,
    ServiceDescription,
    Source,
    Suggestion,
)
from stentguide.interop.cds_hooks.prefetch import render_template
from stentguide.interop.cds_hooks.services import (
    call_service,
    discovery,
    receive_feedback,
    service_ids,
)

__all__ = [
    "SCORE_INPUT_SYSTEM",
    "AcceptedSuggestion",
    "Action",
    "Card",
    "CdsRequest",
    "CdsResponse",
    "Coding",
    "Discovery",
    "Feedback",
    "FeedbackRequest",
    "Fetcher",
    "FhirAuthorization",
    "Link",
    "OverrideReason",
    "ServiceDescription",
    "Source",
    "Suggestion",
    "call_service",
    "discovery",
    "http_fetcher",
    "receive_feedback",
    "render_template",
    "service_ids",
]
