"""Registry cases out as FHIR: one ``collection`` Bundle per case, and the export file.

Each field goes where :func:`~stentguide.interop.registry.mapping.registry_map`
says: the PCI as a ``Procedure`` (SNOMED CT 415070008), the patient as a
pseudonymous ``Patient``, access and lesions as ``Observation`` resources whose
codes also carry the NCDR CathPCI question code, devices as ``Device``,
complications as ``Condition`` and a stent-loss retrieval as an ``Observation``
focused on its Condition. Protocol runs are exported as their
QuestionnaireResponse, outcome Observation and Provenance (see
:mod:`stentguide.interop.runs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.exchange import audit_export
from stentguide.cases.model import CaseIn, StoredCase
from stentguide.errors import SessionError
from stentguide.interop._common import validated
from stentguide.interop.registry.mapping import (
    CASE_SYSTEM,
    ncdr_codes,
    registry_code,
    registry_code_system,
)
from stentguide.interop.runs import PCI_CODE, patient_resource, run_resources, stable_urn
from stentguide.protocols.engine import Session

__all__ = ["case_to_bundle", "export_fhir"]

_Entry = tuple[str, dict[str, Any]]
_CONFIRMED = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed",
        }
    ]
}


def _observation(
    code: list[dict[str, Any]], case: CaseIn, refs: Mapping[str, str], **value: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": code},
        "subject": {"reference": refs["patient"]},
        "partOf": [{"reference": refs["procedure"]}],
        "effectiveDateTime": case.procedure_date.isoformat(),
        **value,
    }


def _lesion(index: int, case: CaseIn, refs: Mapping[str, str]) -> dict[str, Any]:
    lesion = case.lesions[index]
    components: list[dict[str, Any]] = [
        {
            "code": {"coding": [registry_code("vessel")]},
            "valueCodeableConcept": {"coding": [registry_code(f"vessel/{lesion.vessel.value}")]},
        }
    ]
    for name, value, field in (
        ("cto", lesion.cto, "lesions[].cto"),
        ("calcified", lesion.calcified, "lesions[].calcified"),
    ):
        if value is not None:
            components.append(
                {
                    "code": {"coding": [registry_code(name), *ncdr_codes(field)]},
                    "valueBoolean": value,
                }
            )
    observation = _observation([registry_code("lesion", "Treated lesion")], case, refs)
    observation["component"] = components
    return observation


def _complications(
    case: StoredCase | CaseIn, refs: Mapping[str, str]
) -> tuple[list[_Entry], list[_Entry]]:
    """The ``Condition`` of each complication, and the retrieval ``Observation`` of each."""
    conditions: list[_Entry] = []
    retrievals: list[_Entry] = []
    for index, complication in enumerate(case.complications):
        url = stable_urn("case", case.uid, "complication", str(index))
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "verificationStatus": _CONFIRMED,
            "code": {
                "coding": [registry_code(f"complication/{complication.kind.value}")],
                "text": complication.kind.value.replace("_", " "),
            },
            "subject": {"reference": refs["patient"]},
            "onsetDateTime": case.procedure_date.isoformat(),
        }
        if complication.note:
            condition["note"] = [{"text": complication.note}]
        conditions.append((url, validated(condition)))
        if complication.technique is not None:
            retrieval = _observation(
                [registry_code("retrieval-technique", "Stent-loss retrieval technique")],
                case,
                refs,
                valueCodeableConcept={
                    "coding": [registry_code(f"technique/{complication.technique.value}")]
                },
                focus=[{"reference": url}],
                component=[
                    {
                        "code": {"coding": [registry_code("success")]},
                        "valueBoolean": complication.success,
                    }
                ],
            )
            urn = stable_urn("case", case.uid, "retrieval", str(index))
            retrievals.append((urn, validated(retrieval)))
    return conditions, retrievals


def _devices(case: StoredCase | CaseIn) -> list[_Entry]:
    return [
        (
            stable_urn("case", case.uid, "device", role),
            validated(
                {
                    "resourceType": "Device",
                    "deviceName": [{"name": name, "type": "user-friendly-name"}],
                    "type": {"text": role},
                }
            ),
        )
        for role, name in case.devices.items()
    ]


def _procedure(
    case: StoredCase | CaseIn,
    refs: Mapping[str, str],
    conditions: list[_Entry],
    devices: list[_Entry],
) -> dict[str, Any]:
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "identifier": [{"system": CASE_SYSTEM, "value": case.uid}],
        "status": "completed",
        "code": {"coding": [PCI_CODE]},
        "subject": {"reference": refs["patient"]},
        "performedDateTime": case.procedure_date.isoformat(),
        "performer": [{"actor": {"display": case.operator}}],
    }
    if case.outcome is not None:
        procedure["outcome"] = {"text": case.outcome}
    if conditions:
        procedure["complication"] = [c["code"] for _, c in conditions]
        procedure["complicationDetail"] = [{"reference": u} for u, _ in conditions]
    if devices:
        procedure["focalDevice"] = [{"manipulated": {"reference": u}} for u, _ in devices]
    return validated(procedure)


def case_to_bundle(case: StoredCase | CaseIn, runs: Iterable[Session] = ()) -> dict[str, Any]:
    """One case (and its protocol runs) as a ``collection`` Bundle."""
    uid = case.uid
    refs = {
        "patient": stable_urn("case", uid, "patient"),
        "procedure": stable_urn("case", uid, "procedure"),
    }
    conditions, retrievals = _complications(case, refs)
    devices = _devices(case)
    run_entries: list[_Entry] = []
    for session in runs:
        run_entries.extend(
            run_resources(
                session,
                patient_ref=refs["patient"],
                procedure_ref=refs["procedure"],
                operator=case.operator,
            )
        )
    access = _observation(
        [registry_code("access-site", "Arterial access site"), *ncdr_codes("access")],
        case,
        refs,
        valueCodeableConcept={"coding": [registry_code(f"access/{case.access.value}")]},
    )
    entries: list[_Entry] = [
        (refs["patient"], patient_resource(case.patient_id)),
        (refs["procedure"], _procedure(case, refs, conditions, devices)),
        (stable_urn("case", uid, "access"), validated(access)),
        *(
            (stable_urn("case", uid, "lesion", str(i)), validated(_lesion(i, case, refs)))
            for i in range(len(case.lesions))
        ),
        *devices,
        *conditions,
        *retrievals,
        *run_entries,
    ]
    return validated(
        {
            "resourceType": "Bundle",
            "identifier": {"system": CASE_SYSTEM, "value": uid},
            "type": "collection",
            "entry": [{"fullUrl": u, "resource": r} for u, r in entries],
        }
    )


def _sessions(registry: Registry, case: StoredCase) -> tuple[list[Session], list[str]]:
    sessions: list[Session] = []
    skipped: list[str] = []
    for run in case.runs:
        try:
            sessions.append(Session.from_record(registry.runs.load(run.run_id)))
        except SessionError as exc:
            skipped.append(f"run {run.run_id}: {exc}")
    return sessions, skipped


def export_fhir(
    registry: Registry, path: Path, *, actor: str, where: CaseFilter | None = None
) -> int:
    """Write the matching cases (with their runs) as a Bundle of case Bundles; the count.

    A run that no longer replays on the shipped pathway (an older version) is left
    out and named in the Procedure's ``note``. The export is audited as every
    other export of cases is (:func:`stentguide.cases.exchange.audit_export`).
    """
    bundles = []
    for case in registry.cases.iter(where):
        sessions, skipped = _sessions(registry, case)
        bundle = case_to_bundle(case, sessions)
        if skipped:
            procedure = bundle["entry"][1]["resource"]
            procedure["note"] = [{"text": f"not exported: {s}"} for s in skipped]
            bundle = validated(bundle)
        bundles.append(bundle)
    codes = registry_code_system()
    document = validated(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": codes["url"], "resource": codes},
                *(
                    {"fullUrl": stable_urn("case-bundle", b["identifier"]["value"]), "resource": b}
                    for b in bundles
                ),
            ],
        }
    )
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    query = where or CaseFilter()
    audit_export(registry, kind="fhir", count=len(bundles), where=query, actor=actor)
    return len(bundles)
