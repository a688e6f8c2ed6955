"""FHIR downloads of the knowledge and of a run (JSON API; the logic is ``stentguide.interop``).

``/api/protocols/{id}/fhir`` is the pathway's PlanDefinition, Questionnaire and CodeSystems
as one Bundle; ``/api/sessions/{run_id}/fhir`` is a run's QuestionnaireResponse, readable by
whoever may read the run's record (``/api/sessions/{run_id}/record``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from stentguide.errors import UnknownNameError
from stentguide.interop import protocol_bundle, session_to_questionnaire_response
from stentguide.protocols import get_protocol
from stentguide.runs import Runs
from stentguide.web.deps import runs
from stentguide.web.errors import NotFoundError
from stentguide.web.run_access import Reader

router = APIRouter(tags=["fhir"])


@router.get("/api/protocols/{protocol_id}/fhir")
def protocol_fhir(protocol_id: str) -> dict[str, Any]:
    """The pathway as FHIR R4: PlanDefinition, Questionnaire and CodeSystems in a Bundle."""
    try:
        protocol = get_protocol(protocol_id)
    except UnknownNameError as exc:
        raise NotFoundError("protocol", protocol_id, exc.suggestions) from None
    return protocol_bundle(protocol)


@router.get("/api/sessions/{run_id}/fhir")
def session_fhir(run_id: str, store: Annotated[Runs, Depends(runs)], _: Reader) -> dict[str, Any]:
    """A run as a FHIR R4 QuestionnaireResponse of its pathway's Questionnaire."""
    return session_to_questionnaire_response(store.load(run_id))
