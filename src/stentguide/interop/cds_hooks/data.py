"""The service's knowledge file (``knowledge/interop/cds.yaml``) and its code systems.

P2Y12 inhibitors and the PCI procedure by code, the laboratory inputs by LOINC code
with their accepted units, the DAPT duration rules and the override reasons. The
file is checked against the score specifications when it is first read.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stentguide import risk
from stentguide.errors import KnowledgeError
from stentguide.interop._common import canonical
from stentguide.interop.cds_hooks.models import Coding
from stentguide.knowledge import knowledge_path, read_yaml, validate_data

__all__ = [
    "DAPT_SCORES",
    "LOINC",
    "OVERRIDE_SYSTEM",
    "SCORE_INPUT_SYSTEM",
    "UCUM",
    "CdsData",
    "ObservationInput",
    "cds_data",
]

SCORE_INPUT_SYSTEM = canonical("codesystem", "score-input")
OVERRIDE_SYSTEM = canonical("codesystem", "cds-override-reason")
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DAPT_SCORES = ("precise-dapt", "arc-hbr", "dapt")


class _Code(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    system: str
    code: str


class _Medicine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    codes: list[_Code]


class _Medicines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str]
    medicines: list[_Medicine]


class _Codes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str]
    codes: list[_Code]


class ObservationInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    codes: list[str]
    units: dict[str, float]


class _Observations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str]
    inputs: dict[str, ObservationInput]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    score: str | None = None
    category: str | None = None
    requires: list[str]
    summary: str = Field(max_length=100)
    text: str
    months: list[int]
    confidence: Literal["verified", "secondary", "unconfirmed"]
    sources: list[str] = Field(min_length=1)


class CdsData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str] = Field(min_length=1)
    p2y12_inhibitors: _Medicines
    pci_procedure: _Codes
    observations: _Observations
    duration_rules: list[_Rule]
    override_reasons: list[Coding]


@functools.cache
def cds_data() -> CdsData:
    path = knowledge_path("interop", "cds.yaml")
    data = validate_data(CdsData, read_yaml(path), path.name)
    for rule in data.duration_rules:
        for name in [*rule.requires, *([rule.score] if rule.score else [])]:
            risk.get_spec(name)
    if not data.override_reasons or any(not r.display for r in data.override_reasons):
        raise KnowledgeError(f"{path.name}: every override reason needs a display")
    return data
