"""Registry cases as FHIR Bundles, out and back in.

One ``collection`` Bundle per case; an export file is a ``collection`` Bundle whose
entries are those case Bundles. Each field goes where
``knowledge/interop/registry-map.yaml`` says (the mapping table of
``docs/interop.md``): the PCI as a ``Procedure`` (SNOMED CT 415070008), the
patient as a pseudonymous ``Patient``, access and lesions as ``Observation``
resources whose codes also carry the NCDR CathPCI question code that the HL7 CREDS
map reads, devices as ``Device``, complications as ``Condition`` (coded with the
registry's complication CodeSystem) and a stent-loss retrieval as an
``Observation`` focused on its Condition. Protocol runs are exported as their
QuestionnaireResponse, outcome Observation and Provenance (see
:mod:`stentguide.interop.runs`).

An import reads the case fields back (not the runs: their full event logs travel
in the JSON archive) and is all-or-nothing: every problem is named by case number
and field, and nothing is saved unless every case is good.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.exchange import audit_export
from stentguide.cases.model import (
    Access,
    CaseIn,
    ComplicationKind,
    RetrievalTechnique,
    StoredCase,
    Vessel,
)
from stentguide.errors import InputError, SessionError
from stentguide.interop._common import canonical, metadata, validated
from stentguide.interop.runs import (
    PATIENT_SYSTEM,
    PCI_CODE,
    REGISTRY_SYSTEM,
    patient_resource,
    run_resources,
    stable_urn,
)
from stentguide.knowledge import knowledge_path, read_yaml, validate_data
from stentguide.protocols.engine import Session

__all__ = [
    "CASE_SYSTEM",
    "REGISTRY_SYSTEM",
    "case_to_bundle",
    "export_fhir",
    "import_fhir",
    "registry_code_system",
    "registry_map",
]

CASE_SYSTEM = canonical("identifier", "case")
_ELEMENTS = {
    "access-site": "Arterial access site",
    "lesion": "Treated lesion",
    "vessel": "Treated vessel",
    "cto": "Chronic total occlusion",
    "calcified": "Calcified lesion",
    "retrieval-technique": "Stent-loss retrieval technique",
    "success": "Retrieval succeeded",
    "pathway-outcome": "Outcome of a stentguide management pathway",
}


def registry_code_system() -> dict[str, Any]:
    """The registry's codes: its elements, the values of its enumerations, the pathways."""
    from stentguide import __version__
    from stentguide.protocols import load_protocols

    concepts = [{"code": code, "display": display} for code, display in _ELEMENTS.items()]
    for prefix, values in (
        ("access", Access),
        ("vessel", Vessel),
        ("complication", ComplicationKind),
        ("technique", RetrievalTechnique),
    ):
        concepts += [
            {"code": f"{prefix}/{v.value}", "display": v.value.replace("_", " ")} for v in values
        ]
    concepts += [{"code": f"pathway/{p.id}", "display": p.title} for p in load_protocols().values()]
    return validated(
        {
            "resourceType": "CodeSystem",
            "id": "registry",
            **metadata(
                kind="codesystem",
                slug="registry",
                version=__version__,
                title="stentguide registry codes",
            ),
            "description": "Elements and values of the stentguide case registry.",
            "caseSensitive": True,
            "content": "complete",
            "count": len(concepts),
            "concept": concepts,
        }
    )


class MapField(BaseModel):
    """One registry field and where it goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    fhir: str
    creds: str | None = None
    ncdr_question: str | None = None
    fit: str = Field(pattern="^(exact|partial|local)$")
    note: str | None = None


class RegistryMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[str] = Field(min_length=1)
    ncdr_question_system: str
    fields: list[MapField]


@functools.cache
def registry_map() -> RegistryMap:
    """The mapping of registry fields to FHIR and to the registry data standards."""
    path = knowledge_path("interop", "registry-map.yaml")
    return validate_data(RegistryMap, read_yaml(path), path.name)


def _code(code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": REGISTRY_SYSTEM, "code": code}
    if display:
        coding["display"] = display
    return coding


def _ncdr(field: str) -> list[dict[str, Any]]:
    mapping = registry_map()
    entry = next((f for f in mapping.fields if f.field == field), None)
    if entry is None or entry.ncdr_question is None:
        return []
    return [{"system": mapping.ncdr_question_system, "code": entry.ncdr_question}]


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
            "code": {"coding": [_code("vessel")]},
            "valueCodeableConcept": {"coding": [_code(f"vessel/{lesion.vessel.value}")]},
        }
    ]
    for name, value, field in (
        ("cto", lesion.cto, "lesions[].cto"),
        ("calcified", lesion.calcified, "lesions[].calcified"),
    ):
        if value is not None:
            components.append(
                {"code": {"coding": [_code(name), *_ncdr(field)]}, "valueBoolean": value}
            )
    observation = _observation([_code("lesion", "Treated lesion")], case, refs)
    observation["component"] = components
    return observation


def case_to_bundle(case: StoredCase | CaseIn, runs: Iterable[Session] = ()) -> dict[str, Any]:
    """One case (and its protocol runs) as a ``collection`` Bundle."""
    uid = case.uid
    refs = {
        "patient": stable_urn("case", uid, "patient"),
        "procedure": stable_urn("case", uid, "procedure"),
    }
    entries: list[tuple[str, dict[str, Any]]] = [
        (refs["patient"], patient_resource(case.patient_id))
    ]
    conditions: list[tuple[str, dict[str, Any]]] = []
    extra: list[tuple[str, dict[str, Any]]] = []
    for index, complication in enumerate(case.complications):
        url = stable_urn("case", uid, "complication", str(index))
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "code": "confirmed",
                    }
                ]
            },
            "code": {
                "coding": [_code(f"complication/{complication.kind.value}")],
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
                [_code("retrieval-technique", "Stent-loss retrieval technique")],
                case,
                refs,
                valueCodeableConcept={
                    "coding": [_code(f"technique/{complication.technique.value}")]
                },
                focus=[{"reference": url}],
                component=[
                    {"code": {"coding": [_code("success")]}, "valueBoolean": complication.success}
                ],
            )
            extra.append((stable_urn("case", uid, "retrieval", str(index)), validated(retrieval)))
    devices = [
        (
            stable_urn("case", uid, "device", role),
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
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "identifier": [{"system": CASE_SYSTEM, "value": uid}],
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
    run_entries: list[tuple[str, dict[str, Any]]] = []
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
        [_code("access-site", "Arterial access site"), *_ncdr("access")],
        case,
        refs,
        valueCodeableConcept={"coding": [_code(f"access/{case.access.value}")]},
    )
    entries += [
        (refs["procedure"], validated(procedure)),
        (stable_urn("case", uid, "access"), validated(access)),
        *(
            (stable_urn("case", uid, "lesion", str(i)), validated(_lesion(i, case, refs)))
            for i in range(len(case.lesions))
        ),
        *devices,
        *conditions,
        *extra,
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


# --------------------------------------------------------------------------- import
def _local(concept: Any, prefix: str) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding", []) if isinstance(concept.get("coding"), list) else []:
        code = coding.get("code") if isinstance(coding, dict) else None
        if (
            isinstance(coding, dict)
            and coding.get("system") == REGISTRY_SYSTEM
            and isinstance(code, str)
            and code.startswith(prefix)
        ):
            return code.removeprefix(prefix)
    return None


def _has(resource: Mapping[str, Any], code: str) -> bool:
    return _local(resource.get("code"), "") == code


def _case_from_bundle(
    bundle: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], dict[str, str]]:
    problems: dict[str, str] = {}
    resources: dict[str, dict[str, Any]] = {
        str(e.get("fullUrl")): e["resource"]
        for e in bundle.get("entry", []) or []
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    }
    by_type: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for url, resource in resources.items():
        by_type.setdefault(str(resource.get("resourceType")), []).append((str(url), resource))
    procedures = [
        r
        for _, r in by_type.get("Procedure", [])
        if any(i.get("system") == CASE_SYSTEM for i in r.get("identifier", []))
    ]
    if len(procedures) != 1:
        return {}, {f"{where}: Procedure": f"expected one case Procedure, found {len(procedures)}"}
    procedure = procedures[0]
    case: dict[str, Any] = {
        "uid": next(i["value"] for i in procedure["identifier"] if i.get("system") == CASE_SYSTEM),
        "procedure_date": procedure.get("performedDateTime"),
        "operator": next(
            (p.get("actor", {}).get("display") for p in procedure.get("performer", [])), None
        ),
    }
    if isinstance(procedure.get("outcome"), dict) and procedure["outcome"].get("text"):
        case["outcome"] = procedure["outcome"]["text"]
    patient = resources.get(procedure.get("subject", {}).get("reference"))
    ids = patient.get("identifier", []) if isinstance(patient, dict) else []
    case["patient_id"] = next(
        (i.get("value") for i in ids if i.get("system") == PATIENT_SYSTEM), None
    )
    observations = [r for _, r in by_type.get("Observation", [])]
    access = [o for o in observations if _has(o, "access-site")]
    case["access"] = _local(access[0].get("valueCodeableConcept"), "access/") if access else None
    lesions = []
    for obs in (o for o in observations if _has(o, "lesion")):
        lesion: dict[str, Any] = {}
        for component in obs.get("component", []):
            name = _local(component.get("code"), "")
            if name == "vessel":
                lesion["vessel"] = _local(component.get("valueCodeableConcept"), "vessel/")
            elif name in ("cto", "calcified"):
                lesion[name] = component.get("valueBoolean")
        lesions.append(lesion)
    case["lesions"] = lesions
    devices = {}
    for ref in procedure.get("focalDevice", []):
        device = resources.get(ref.get("manipulated", {}).get("reference"))
        if isinstance(device, dict):
            role = device.get("type", {}).get("text")
            names = device.get("deviceName", [])
            devices[role] = names[0].get("name") if names else None
    case["devices"] = devices
    retrievals = {
        f.get("reference"): o
        for o in observations
        if _has(o, "retrieval-technique")
        for f in o.get("focus", [])
    }
    complications = []
    for ref in procedure.get("complicationDetail", []):
        url = ref.get("reference")
        condition = resources.get(url)
        if not isinstance(condition, dict):
            problems[f"{where}: complicationDetail"] = f"{url} is not in the Bundle"
            continue
        item: dict[str, Any] = {"kind": _local(condition.get("code"), "complication/")}
        notes = condition.get("note", [])
        if notes:
            item["note"] = notes[0].get("text")
        retrieval = retrievals.get(url)
        if retrieval is not None:
            item["technique"] = _local(retrieval.get("valueCodeableConcept"), "technique/")
            success = [c.get("valueBoolean") for c in retrieval.get("component", [])]
            item["success"] = success[0] if success else None
        complications.append(item)
    case["complications"] = complications
    return case, problems


def _check(case: dict[str, Any], where: str) -> dict[str, str]:
    try:
        CaseIn.model_validate(case)
    except ValidationError as exc:
        problems = {}
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            problems[f"{where}: {field}" if field else where] = error["msg"]
        return problems
    return {}


def import_fhir(registry: Registry, path: Path, *, actor: str) -> int:
    """Add every case of a FHIR export (a Bundle of case Bundles, or one case Bundle)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError("cannot read the FHIR file", {"path": f"{path}: {exc}"}) from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise InputError("not a FHIR Bundle", {"resourceType": "expected Bundle"})
    try:
        validated(document)
    except InputError:
        raise
    except ValueError as exc:
        raise InputError("not a valid FHIR R4 Bundle", {"Bundle": str(exc)[:500]}) from None
    inner = [
        e["resource"]
        for e in document.get("entry", [])
        if isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == "Bundle"
    ]
    bundles = inner or [document]
    problems: dict[str, str] = {}
    cases = []
    for number, bundle in enumerate(bundles, start=1):
        case, found = _case_from_bundle(bundle, f"case {number}")
        problems.update(found or _check(case, f"case {number}"))
        cases.append(case)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in {path.name}; nothing was imported", problems
        )
    return registry.cases.add_many(cases, actor=actor)
