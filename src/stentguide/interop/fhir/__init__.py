"""A pathway as FHIR R4 knowledge resources (validated with the R4B models).

Three resources describe one pathway, and one more the outcome vocabulary:

- its ``CodeSystem`` and the shared ``outcome-category`` CodeSystem
  (:mod:`~stentguide.interop.fhir.codes`);
- a ``Questionnaire`` (SDC style) whose responses record a run
  (:mod:`~stentguide.interop.fhir.questionnaire`);
- a ``PlanDefinition`` whose applicability conditions are FHIRPath over that
  response (:mod:`~stentguide.interop.fhir.plan_definition`, the expressions in
  :mod:`~stentguide.interop.fhir.expressions`).

:func:`protocol_bundle` puts the four in one ``collection`` Bundle. A run walked
over these resources reaches the same outcome as the engine; the tests walk every
path of every pathway with an independent FHIRPath engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stentguide.interop._common import validated
from stentguide.interop.fhir.codes import (
    EXTENSION_DEVICE_REQUIREMENT,
    EXTENSION_ONLY_IF,
    EXTENSION_PRECONDITION,
    EXTENSION_STOP_CRITERION,
    EXTENSION_STOP_EXEMPT,
    OUTCOME_SYSTEM,
    PLAN_DEFINITION_BASE,
    QR_VARIABLE,
    answer_code,
    key_message_code,
    key_messages_link_id,
    outcome_code_system,
    pathway_code_system,
    pathway_system,
)
from stentguide.interop.fhir.plan_definition import protocol_to_plan_definition
from stentguide.interop.fhir.questionnaire import protocol_to_questionnaire
from stentguide.protocols.model import Protocol

__all__ = [
    "EXTENSION_DEVICE_REQUIREMENT",
    "EXTENSION_ONLY_IF",
    "EXTENSION_PRECONDITION",
    "EXTENSION_STOP_CRITERION",
    "EXTENSION_STOP_EXEMPT",
    "OUTCOME_SYSTEM",
    "PLAN_DEFINITION_BASE",
    "QR_VARIABLE",
    "answer_code",
    "key_message_code",
    "key_messages_link_id",
    "outcome_code_system",
    "pathway_code_system",
    "pathway_system",
    "protocol_bundle",
    "protocol_to_plan_definition",
    "protocol_to_questionnaire",
]


def protocol_bundle(protocol: Protocol, *, date: dt.date | None = None) -> dict[str, Any]:
    """PlanDefinition, Questionnaire and both CodeSystems of a pathway, as one collection."""
    resources = [
        protocol_to_plan_definition(protocol, date=date),
        protocol_to_questionnaire(protocol, date=date),
        pathway_code_system(protocol, date=date),
        outcome_code_system(date=date),
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": r["url"], "resource": r} for r in resources],
    }
    return validated(bundle)
