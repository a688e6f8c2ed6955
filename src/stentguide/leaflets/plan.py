"""The leaflet plan: what a nurse or doctor fills in before a planned angioplasty.

The plan holds no patient identity (an optional first name only, to address the
reader), so a leaflet can be made and printed without a record. Every field is
required except the first name: a missing access route, medicine or centre
phone number must be asked for, never guessed. Validation errors are gathered into one
:class:`~stentguide.errors.InputError` whose ``problems`` name every field, so a
form can mark all of them at once.

The antiplatelet range (1 to 12 months for the second medicine, aspirin for
life) follows the patient page on coronary angioplasty (JAKAMY-PCI), which is
consistent with the ESC 2023 guideline defaults (ESC23-ACS); the leaflet cites
both where it states the range.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stentguide.errors import InputError

__all__ = [
    "MAX_ANTIPLATELET_MONTHS",
    "MIN_ANTIPLATELET_MONTHS",
    "Access",
    "Language",
    "LeafletPlan",
    "SecondAntiplatelet",
    "StentType",
    "parse_plan",
    "plan_schema",
]

MIN_ANTIPLATELET_MONTHS = 1
MAX_ANTIPLATELET_MONTHS = 12
_EARLIEST = dt.date(2000, 1, 1)
_LATEST = dt.date(2099, 12, 31)
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*$")
_PHONE = re.compile(r"^\+?[0-9(][0-9 .\-()]{1,22}[0-9)]$")


class Access(enum.StrEnum):
    """The artery the catheter goes in by."""

    radial = "radial"
    femoral = "femoral"


class StentType(enum.StrEnum):
    """The stent the operator expects to place."""

    drug_eluting = "drug_eluting"
    bare_metal = "bare_metal"


class SecondAntiplatelet(enum.StrEnum):
    """The P2Y12 inhibitor given with aspirin (ESC 2023 ACS guideline, ESC23-ACS)."""

    clopidogrel = "clopidogrel"
    prasugrel = "prasugrel"
    ticagrelor = "ticagrelor"


class Language(enum.StrEnum):
    """Languages the leaflet is written in."""

    en = "en"
    fr = "fr"


class LeafletPlan(BaseModel):
    """Everything a leaflet is personalised with, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    access: Access = Field(description="Artery used: radial (wrist) or femoral (groin).")
    stent_type: StentType = Field(description="Expected stent: drug_eluting or bare_metal.")
    chronic_total_occlusion: bool = Field(
        description="True when the artery to treat has been blocked for a long time (CTO)."
    )
    second_antiplatelet: SecondAntiplatelet = Field(
        description="The medicine taken with aspirin: clopidogrel, prasugrel or ticagrelor."
    )
    antiplatelet_months: int = Field(
        ge=MIN_ANTIPLATELET_MONTHS,
        le=MAX_ANTIPLATELET_MONTHS,
        description="How long the second medicine is taken, in calendar months (1 to 12).",
    )
    procedure_date: dt.date = Field(
        ge=_EARLIEST,
        le=_LATEST,
        description="Planned date of the procedure (YYYY-MM-DD), 2000 to 2099.",
        json_schema_extra={"pattern": r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"},
    )
    language: Language = Field(description="Language of the leaflet: en or fr.")
    centre_phone: str = Field(
        min_length=3,
        max_length=25,
        description="The centre's phone number the patient calls with a question or a worry.",
        json_schema_extra={"pattern": _PHONE.pattern},
    )
    patient_first_name: str | None = Field(
        default=None,
        max_length=40,
        description="Optional first name to address the reader; no other identity is kept.",
        json_schema_extra={"pattern": _NAME.pattern},
    )

    @field_validator("patient_first_name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _NAME.match(value):
            raise ValueError("a first name has letters, spaces, hyphens or apostrophes only")
        return value

    @field_validator("centre_phone")
    @classmethod
    def _phone_number(cls, value: str) -> str:
        if not _PHONE.match(value):
            raise ValueError(
                "a phone number has digits, spaces, dots, hyphens, brackets and a leading +"
            )
        return value

    @field_validator("antiplatelet_months", mode="before")
    @classmethod
    def _whole_months(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("give a whole number of months")
        return value


def _field_of(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "plan"


def _why(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    field = str(error["loc"][0]) if error.get("loc") else ""
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "enum" and field == "second_antiplatelet":
        return _unknown_medicine(error.get("input"))
    if kind == "enum":
        allowed = ", ".join(m.value for m in _ENUMS[field])
        return f"must be one of {allowed}, not {error.get('input')!r}"
    if field == "antiplatelet_months" and kind in {"greater_than_equal", "less_than_equal"}:
        return (
            f"must be {MIN_ANTIPLATELET_MONTHS} to {MAX_ANTIPLATELET_MONTHS} months, "
            f"not {error.get('input')!r}"
        )
    if field == "procedure_date" and kind in {"greater_than_equal", "less_than_equal"}:
        return f"must be between {_EARLIEST.isoformat()} and {_LATEST.isoformat()}"
    if field == "procedure_date":
        return f"must be a date as YYYY-MM-DD, not {error.get('input')!r}"
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def _unknown_medicine(given: Any) -> str:
    known = [m.value for m in SecondAntiplatelet]
    close = difflib.get_close_matches(str(given).lower(), known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"
    return f"unknown medicine {given!r}{hint}"


_ENUMS: dict[str, type[enum.Enum]] = {
    "access": Access,
    "stent_type": StentType,
    "second_antiplatelet": SecondAntiplatelet,
    "language": Language,
}


def parse_plan(data: Mapping[str, Any] | LeafletPlan) -> LeafletPlan:
    """Validate a plan given as a mapping (e.g. parsed JSON or a web form).

    Raises :class:`InputError` whose ``problems`` map every offending field to
    what is wrong with it; a missing field is ``required``, never defaulted.
    """
    if isinstance(data, LeafletPlan):
        return data
    if not isinstance(data, Mapping):
        raise InputError("a leaflet plan must be a mapping", {"plan": "not a mapping"})
    try:
        return LeafletPlan.model_validate(dict(data))
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            problems.setdefault(_field_of(tuple(error["loc"])), _why(error))
        raise InputError("invalid leaflet plan", problems) from None


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of a plan, for forms and API documentation."""
    return LeafletPlan.model_json_schema()
