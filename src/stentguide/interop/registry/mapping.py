"""The registry's FHIR vocabulary: its CodeSystem and the field mapping table.

``knowledge/interop/registry-map.yaml`` says where each registry field goes in FHIR
and which HL7 CREDS element and NCDR CathPCI question it matches (the mapping table
of ``docs/interop.md``).
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stentguide.cases.model import Access, ComplicationKind, RetrievalTechnique, Vessel
from stentguide.interop._common import canonical, code_system
from stentguide.interop.runs import REGISTRY_SYSTEM
from stentguide.knowledge import knowledge_path, read_yaml, validate_data

__all__ = [
    "CASE_SYSTEM",
    "REGISTRY_SYSTEM",
    "MapField",
    "RegistryMap",
    "ncdr_codes",
    "registry_code",
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
    return code_system(
        resource_id="registry",
        slug="registry",
        version=__version__,
        title="stentguide registry codes",
        description="Elements and values of the stentguide case registry.",
        concepts=concepts,
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


def registry_code(code: str, display: str | None = None) -> dict[str, Any]:
    """A Coding of the registry's CodeSystem."""
    coding: dict[str, Any] = {"system": REGISTRY_SYSTEM, "code": code}
    if display:
        coding["display"] = display
    return coding


def ncdr_codes(field: str) -> list[dict[str, Any]]:
    """The NCDR CathPCI question coding of a registry field (none when it has none)."""
    mapping = registry_map()
    entry = next((f for f in mapping.fields if f.field == field), None)
    if entry is None or entry.ncdr_question is None:
        return []
    return [{"system": mapping.ncdr_question_system, "code": entry.ncdr_question}]
