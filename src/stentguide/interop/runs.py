"""A protocol run as FHIR: its QuestionnaireResponse and its timed record as a Bundle.

The choices, documented in ``docs/interop.md``:

- **The run is a QuestionnaireResponse** of the pathway's Questionnaire. It holds
  the effective path only (an undone answer is not in it, as it is not in the
  engine's path); each item carries the time it was answered in the extension
  ``urn:stentguide:extension:answered-at``. The full append-only event log stays
  in the registry (its JSON archive).
- **Key messages acknowledged** at a step are the coded answers of that step's
  ``{node}.key-messages`` item (codes ``key-message/{id}`` of the pathway's
  CodeSystem), stamped with the time of the acknowledgement. Being answers, they
  can be queried like any other answer.
- **The timed record** is a ``collection`` Bundle: the Patient (pseudonymous
  identifier only), the PCI as a ``Procedure`` (SNOMED CT 415070008) whose period
  is the first to the last event, the QuestionnaireResponse (``partOf`` the
  Procedure), the pathway's outcome as an ``Observation`` coded with the
  outcome-category CodeSystem, each declared device as ``Device`` plus
  ``DeviceUseStatement``, and one ``Provenance`` naming the pathway version and
  the period of the record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stentguide.interop._common import canonical, validated
from stentguide.interop.fhir import (
    OUTCOME_SYSTEM,
    PLAN_DEFINITION_BASE,
    answer_code,
    key_message_code,
    key_messages_link_id,
    pathway_system,
)
from stentguide.protocols.engine import Session
from stentguide.protocols.model import OutcomeNode
from stentguide.protocols.record import AcknowledgedEvent, AnsweredEvent, Event, UndoneEvent

__all__ = [
    "EXTENSION_ANSWERED_AT",
    "PATIENT_SYSTEM",
    "PCI_CODE",
    "REGISTRY_SYSTEM",
    "RUN_SYSTEM",
    "patient_resource",
    "run_bundle",
    "run_resources",
    "session_to_questionnaire_response",
    "stable_urn",
]

EXTENSION_ANSWERED_AT = canonical("extension", "answered-at")
PATIENT_SYSTEM = canonical("identifier", "patient")
RUN_SYSTEM = canonical("identifier", "run")
SNOMED = "http://snomed.info/sct"
PCI_CODE = {"system": SNOMED, "code": "415070008", "display": "Percutaneous coronary intervention"}
REGISTRY_SYSTEM = canonical("codesystem", "registry")
OUTCOME_OBSERVATION_CODE = {
    "system": REGISTRY_SYSTEM,
    "code": "pathway-outcome",
    "display": "Outcome of a stentguide management pathway",
}


def stable_urn(*parts: str) -> str:
    """A stable ``urn:uuid`` for a resource derived from ``parts`` (same input, same id)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'stentguide:' + ':'.join(parts))}"


def _at(event: Event) -> str:
    return event.at.isoformat()


@dataclass(frozen=True)
class _Effective:
    answered: list[AnsweredEvent]
    acknowledged: dict[str, tuple[list[str], Event]]


def _effective(session: Session) -> _Effective:
    """The answered events on the effective path and the last acknowledgement per node."""
    stack: list[AnsweredEvent] = []
    acks: dict[str, tuple[list[str], Event]] = {}
    for event in session.events:
        if isinstance(event, AnsweredEvent):
            stack.append(event)
        elif isinstance(event, UndoneEvent) and stack:
            stack.pop()
        elif isinstance(event, AcknowledgedEvent) and event.node is not None:
            keys, _ = acks.get(event.node, ([], event))
            merged = keys + [k for k in event.data.key_messages if k not in keys]
            acks[event.node] = (merged, event)
    on_path = set(session.path)
    return _Effective(stack, {n: a for n, a in acks.items() if n in on_path})


def _stamp(event: Event) -> list[dict[str, Any]]:
    return [{"url": EXTENSION_ANSWERED_AT, "valueDateTime": _at(event)}]


def session_to_questionnaire_response(
    session: Session,
    *,
    subject: str | None = None,
    part_of: str | None = None,
) -> dict[str, Any]:
    """The run as a ``QuestionnaireResponse`` of its pathway's Questionnaire.

    ``subject`` and ``part_of`` are references (``Patient/..``, ``urn:uuid:..``) to
    put in ``subject`` and ``partOf`` when the run belongs to a case or procedure.
    """
    protocol = session.protocol
    system = pathway_system(protocol)
    effective = _effective(session)
    items: list[dict[str, Any]] = []
    for event in effective.answered:
        node = protocol.node(str(event.node))
        if isinstance(node, OutcomeNode):  # pragma: no cover - the engine refuses this
            continue
        answer_id = event.data.answer
        if node.number is not None:
            if event.data.value is None:  # pragma: no cover - the engine records the number
                raise ValueError(f"event {event.seq} answers a numeric question without a value")
            unit = node.number.unit
            answer: dict[str, Any] = {
                "valueQuantity": {
                    "value": event.data.value,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                }
            }
        else:
            answer = {
                "valueCoding": {
                    "system": system,
                    "code": answer_code(node.id, answer_id),
                    "display": event.data.label or answer_id,
                }
            }
        items.append(
            {
                "linkId": node.id,
                "text": node.question,
                "answer": [answer],
                "extension": _stamp(event),
            }
        )
        items.extend(_ack_item(session, node.id, effective))
    current = session.current
    if not isinstance(current, OutcomeNode):
        items.extend(_ack_item(session, current.id, effective))
    order = {node.id: index for index, node in enumerate(protocol.nodes)}
    items.sort(key=lambda i: (order[i["linkId"].split(".")[0]], "." in i["linkId"]))
    last = session.events[-1]
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": session.session_id,
        "identifier": {"system": RUN_SYSTEM, "value": session.session_id},
        "questionnaire": f"{canonical('questionnaire', protocol.id)}|{protocol.version}",
        "status": "completed" if session.finished else "in-progress",
        "authored": _at(last),
        "item": items,
    }
    if subject:
        resource["subject"] = {"reference": subject}
    if part_of:
        resource["partOf"] = [{"reference": part_of}]
    return validated(resource)


def _ack_item(session: Session, node_id: str, effective: _Effective) -> list[dict[str, Any]]:
    if node_id not in effective.acknowledged:
        return []
    keys, event = effective.acknowledged[node_id]
    system = pathway_system(session.protocol)
    return [
        {
            "linkId": key_messages_link_id(node_id),
            "answer": [
                {
                    "valueCoding": {
                        "system": system,
                        "code": key_message_code(k),
                        "display": session.protocol.key_messages[k].text,
                    }
                }
                for k in keys
            ],
            "extension": _stamp(event),
        }
    ]


def run_resources(
    session: Session,
    *,
    patient_ref: str,
    procedure_ref: str,
    operator: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The run's own resources (QR, outcome, devices, provenance) as ``(fullUrl, resource)``."""
    protocol = session.protocol
    sid = session.session_id
    qr_url = stable_urn("run", sid, "qr")
    entries: list[tuple[str, dict[str, Any]]] = [
        (
            qr_url,
            session_to_questionnaire_response(session, subject=patient_ref, part_of=procedure_ref),
        )
    ]
    outcome = session.outcome
    first, last = session.events[0], session.events[-1]
    period = {"start": _at(first), "end": _at(last)}
    entries.append(
        (
            stable_urn("run", sid, "condition"),
            validated(
                {
                    "resourceType": "Condition",
                    "verificationStatus": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "condition-ver-status",
                                "code": "confirmed",
                            }
                        ]
                    },
                    "code": {
                        "coding": [{"system": REGISTRY_SYSTEM, "code": f"pathway/{protocol.id}"}],
                        "text": protocol.title,
                    },
                    "subject": {"reference": patient_ref},
                    "onsetDateTime": _at(first),
                    "evidence": [{"detail": [{"reference": qr_url}]}],
                    "note": [{"text": "The complication the pathway run managed."}],
                }
            ),
        )
    )
    if outcome is not None:
        entries.append(
            (
                stable_urn("run", sid, "outcome"),
                validated(
                    {
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {"coding": [OUTCOME_OBSERVATION_CODE]},
                        "subject": {"reference": patient_ref},
                        "partOf": [{"reference": procedure_ref}],
                        "derivedFrom": [{"reference": qr_url}],
                        "effectiveDateTime": _at(last),
                        "valueCodeableConcept": {
                            "coding": [{"system": OUTCOME_SYSTEM, "code": outcome.category.value}],
                            "text": f"{outcome.title}: {outcome.summary}",
                        },
                    }
                ),
            )
        )
    for role, name in sorted(session.devices.items()):
        device_url = stable_urn("run", sid, "device", role)
        entries.append(
            (
                device_url,
                validated(
                    {
                        "resourceType": "Device",
                        "deviceName": [{"name": name, "type": "user-friendly-name"}],
                        "type": {"text": role},
                    }
                ),
            )
        )
        entries.append(
            (
                stable_urn("run", sid, "device-use", role),
                validated(
                    {
                        "resourceType": "DeviceUseStatement",
                        "status": "completed" if session.finished else "active",
                        "subject": {"reference": patient_ref},
                        "device": {"reference": device_url},
                        "timingPeriod": period,
                        "derivedFrom": [{"reference": qr_url}],
                        "reasonReference": [{"reference": procedure_ref}],
                        "note": [{"text": f"declared in the run as role {role}"}],
                    }
                ),
            )
        )
    provenance: dict[str, Any] = {
        "resourceType": "Provenance",
        "target": [{"reference": qr_url}, {"reference": procedure_ref}],
        "occurredPeriod": period,
        "recorded": _at(last),
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "CREATE",
                }
            ]
        },
        "agent": [{"who": {"display": operator or "stentguide protocol engine"}}],
        "entity": [
            {
                "role": "source",
                "what": {
                    "display": f"{PLAN_DEFINITION_BASE}:{protocol.id}|{protocol.version} "
                    f"({len(session.events)} events, run {sid})"
                },
            }
        ],
    }
    entries.append((stable_urn("run", sid, "provenance"), validated(provenance)))
    return entries


def patient_resource(patient_id: str) -> dict[str, Any]:
    """A Patient that carries only the registry's pseudonymous identifier."""
    return validated(
        {"resourceType": "Patient", "identifier": [{"system": PATIENT_SYSTEM, "value": patient_id}]}
    )


def run_bundle(
    session: Session,
    *,
    patient_id: str,
    operator: str | None = None,
) -> dict[str, Any]:
    """The run's timed record as a FHIR ``collection`` Bundle (see the module docstring)."""
    sid = session.session_id
    patient_url = stable_urn("patient", patient_id)
    procedure_url = stable_urn("run", sid, "procedure")
    first, last = session.events[0], session.events[-1]
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "identifier": [{"system": RUN_SYSTEM, "value": sid}],
        "status": "completed" if session.finished else "in-progress",
        "code": {"coding": [PCI_CODE]},
        "subject": {"reference": patient_url},
        "performedPeriod": {"start": _at(first), "end": _at(last)},
    }
    outcome = session.outcome
    if outcome is not None:
        procedure["outcome"] = {
            "coding": [{"system": OUTCOME_SYSTEM, "code": outcome.category.value}],
            "text": outcome.summary,
        }
    if operator:
        procedure["performer"] = [{"actor": {"display": operator}}]
    entries = [
        (patient_url, patient_resource(patient_id)),
        (procedure_url, validated(procedure)),
        *run_resources(
            session, patient_ref=patient_url, procedure_ref=procedure_url, operator=operator
        ),
    ]
    return validated(
        {
            "resourceType": "Bundle",
            "identifier": {"system": RUN_SYSTEM, "value": sid},
            "type": "collection",
            "timestamp": datetime.fromisoformat(_at(last)).isoformat(),
            "entry": [{"fullUrl": url, "resource": res} for url, res in entries],
        }
    )
