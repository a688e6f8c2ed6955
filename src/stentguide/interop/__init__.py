"""Interoperability: pathways, runs, scores and registry cases as FHIR R4 (R4B models),
and a CDS Hooks 2.0 service core for the web app."""

from stentguide.interop.fhir import (
    outcome_code_system,
    pathway_code_system,
    protocol_bundle,
    protocol_to_plan_definition,
    protocol_to_questionnaire,
)
from stentguide.interop.runs import run_bundle, session_to_questionnaire_response

__all__ = [
    "outcome_code_system",
    "pathway_code_system",
    "protocol_bundle",
    "protocol_to_plan_definition",
    "protocol_to_questionnaire",
    "run_bundle",
    "session_to_questionnaire_response",
]
