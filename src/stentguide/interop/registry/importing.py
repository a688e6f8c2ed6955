"""Registry cases back in from FHIR: a case Bundle read into the registry's fields.

An import reads the case fields back (not the runs: their full event logs travel
in the JSON archive) and is all-or-nothing: every problem is named by case number
and field, and nothing is saved unless every case is good.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stentguide.cases import Registry
from stentguide.cases.exchange import MAX_IMPORT_ROWS
from stentguide.cases.model import CaseIn
from stentguide.errors import InputError
from stentguide.files import MAX_TABLE_BYTES, read_text_file
from stentguide.interop._common import validated
from stentguide.interop.registry.mapping import CASE_SYSTEM
from stentguide.interop.runs import PATIENT_SYSTEM, REGISTRY_SYSTEM

__all__ = ["case_from_bundle", "import_fhir"]

_Resources = dict[str, dict[str, Any]]


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


def _lesions(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
    return lesions


def _devices(procedure: Mapping[str, Any], resources: _Resources) -> dict[Any, Any]:
    devices = {}
    for ref in procedure.get("focalDevice", []):
        device = resources.get(ref.get("manipulated", {}).get("reference"))
        if isinstance(device, dict):
            role = device.get("type", {}).get("text")
            names = device.get("deviceName", [])
            devices[role] = names[0].get("name") if names else None
    return devices


def _complications(
    procedure: Mapping[str, Any],
    resources: _Resources,
    observations: list[dict[str, Any]],
    where: str,
    problems: dict[str, str],
) -> list[dict[str, Any]]:
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
    return complications


def case_from_bundle(
    bundle: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The case fields a case Bundle holds, and the problems named by ``where`` and field.

    The fields are not validated here (:func:`import_fhir` does that for every case).
    """
    problems: dict[str, str] = {}
    resources: _Resources = {
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
    case["lesions"] = _lesions(observations)
    case["devices"] = _devices(procedure, resources)
    case["complications"] = _complications(procedure, resources, observations, where, problems)
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


def import_fhir(
    registry: Registry, path: Path, *, actor: str, max_rows: int = MAX_IMPORT_ROWS
) -> int:
    """Add every case of a FHIR export (a Bundle of case Bundles, or one case Bundle).

    The file is size-checked and must be UTF-8 (:mod:`stentguide.files`); it may hold
    at most ``max_rows`` cases, all stored in one transaction or none.
    """
    try:
        document = json.loads(read_text_file(path, "FHIR file", max_bytes=MAX_TABLE_BYTES))
    except json.JSONDecodeError as exc:
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
    if len(bundles) > max_rows:
        raise InputError(
            "too many cases in one import",
            {"rows": f"{path.name} holds more than {max_rows:,} cases; split it"},
        )
    problems: dict[str, str] = {}
    cases = []
    for number, bundle in enumerate(bundles, start=1):
        case, found = case_from_bundle(bundle, f"case {number}")
        problems.update(found or _check(case, f"case {number}"))
        cases.append(case)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in {path.name}; nothing was imported", problems
        )
    return registry.cases.add_many(cases, actor=actor)
