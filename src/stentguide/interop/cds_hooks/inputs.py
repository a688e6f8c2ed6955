"""Reading the score inputs from the prefetched Patient and Observations.

Age and sex from the Patient, laboratory values by LOINC code (units checked, never
guessed), history items from Observations coded with :data:`SCORE_INPUT_SYSTEM`,
and creatinine clearance by Cockcroft-Gault when it was not recorded. Nothing is
defaulted: what cannot be read is named in ``problems``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stentguide import risk
from stentguide.errors import InputError
from stentguide.interop.cds_hooks.data import LOINC, SCORE_INPUT_SYSTEM, UCUM, cds_data
from stentguide.interop.cds_hooks.prefetch import Prefetch, coding_pairs

__all__ = ["Inputs", "Value", "read_inputs"]

_OBS_STATUSES = {"final", "amended", "corrected"}


@dataclass(frozen=True)
class Value:
    value: bool | float | str
    reference: str | None
    when: str | None
    note: str


@dataclass
class Inputs:
    values: dict[str, Value] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _when(obs: Mapping[str, Any]) -> str:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if isinstance(obs.get(key), str):
            return str(obs[key])
    period = obs.get("effectivePeriod")
    if isinstance(period, dict):
        return str(period.get("end") or period.get("start") or "")
    return ""


def _ref(resource: Mapping[str, Any]) -> str | None:
    rid = resource.get("id")
    kind = resource.get("resourceType")
    return f"{kind}/{rid}" if isinstance(rid, str) and rid and isinstance(kind, str) else None


def _latest(
    observations: list[dict[str, Any]], system: str, codes: set[str]
) -> list[dict[str, Any]]:
    hits = [
        o
        for o in observations
        if o.get("status") in _OBS_STATUSES
        and any(s == system and c in codes for s, c in coding_pairs(o.get("code")))
    ]
    return sorted(hits, key=_when, reverse=True)


def _age(birth: Any, today: dt.date) -> tuple[float | None, str]:
    if not isinstance(birth, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth):
        return None, "Patient.birthDate is missing or not a full date"
    try:
        born = dt.date.fromisoformat(birth)
    except ValueError:
        return None, f"Patient.birthDate {birth!r} is not a date"
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return float(years), f"from Patient.birthDate {birth}"


def _read_patient(prefetch: Prefetch, inputs: Inputs, today: dt.date) -> None:
    patients = prefetch.resources("patient", "Patient")
    if not patients:
        available, _ = prefetch.get("patient")
        if available:
            inputs.problems["prefetch.patient"] = "no Patient resource"
        return
    patient = patients[0]
    ref = _ref(patient)
    age, note = _age(patient.get("birthDate"), today)
    if age is None:
        inputs.problems["age_years"] = note
    else:
        inputs.values["age_years"] = Value(age, ref, None, note)
    gender = patient.get("gender")
    if gender in ("male", "female"):
        inputs.values["sex"] = Value(str(gender), ref, None, f"from Patient.gender {gender}")
    else:
        inputs.problems["sex"] = f"Patient.gender is {gender!r}; the scores need male or female"


def _quantity(obs: Mapping[str, Any], units: Mapping[str, float]) -> tuple[float | None, str]:
    quantity = obs.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None, "has no valueQuantity"
    value = quantity.get("value")
    unit = quantity.get("code") if quantity.get("system") == UCUM else None
    unit = unit or quantity.get("unit")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, "has no numeric value"
    if unit not in units:
        accepted = ", ".join(units)
        return None, f"is in {unit!r}; accepted units: {accepted}"
    return float(value) * units[str(unit)], f"{value:g} {unit}"


def _read_labs(prefetch: Prefetch, inputs: Inputs) -> None:
    observations = prefetch.resources("labs", "Observation")
    for name, spec in cds_data().observations.inputs.items():
        found = _latest(observations, LOINC, set(spec.codes))
        if not found:
            continue
        obs = found[0]
        value, note = _quantity(obs, spec.units)
        ref = _ref(obs) or "Observation"
        if value is None:
            inputs.problems[name] = f"{spec.label}: {ref} {note}"
            continue
        inputs.values[name] = Value(
            value, _ref(obs), _when(obs), f"{note}, {_when(obs) or 'undated'}"
        )


def _answer_value(obs: Mapping[str, Any]) -> bool | float | str | None:
    if isinstance(obs.get("valueBoolean"), bool):
        return bool(obs["valueBoolean"])
    for key in ("valueInteger", "valueDecimal"):
        if isinstance(obs.get(key), int | float) and not isinstance(obs.get(key), bool):
            return float(obs[key])
    quantity = obs.get("valueQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        return float(quantity["value"])
    if isinstance(obs.get("valueString"), str):
        return str(obs["valueString"])
    codes = coding_pairs(obs.get("valueCodeableConcept"))
    if codes:
        return codes[0][1]
    return None


def _read_answers(prefetch: Prefetch, inputs: Inputs) -> None:
    observations = prefetch.resources("answers", "Observation")
    names = {
        c for o in observations for s, c in coding_pairs(o.get("code")) if s == SCORE_INPUT_SYSTEM
    }
    for name in sorted(names):
        found = _latest(observations, SCORE_INPUT_SYSTEM, {name})
        if not found:
            inputs.problems[name] = "no final, amended or corrected Observation"
            continue
        obs = found[0]
        value = _answer_value(obs)
        if value is None:
            inputs.problems[name] = f"{_ref(obs) or 'Observation'} has no value"
        elif name not in inputs.values:
            inputs.values[name] = Value(value, _ref(obs), _when(obs), "recorded answer")


def _creatinine_clearance(inputs: Inputs) -> None:
    if "creatinine_clearance_ml_min" in inputs.values:
        return
    needed = ("age_years", "weight_kg", "serum_creatinine_mg_dl", "sex")
    if not all(n in inputs.values for n in needed):
        return
    try:
        result = risk.score("cockcroft-gault", {n: inputs.values[n].value for n in needed})
    except InputError as exc:
        inputs.problems["creatinine_clearance_ml_min"] = f"Cockcroft-Gault: {exc}"
        return
    inputs.values["creatinine_clearance_ml_min"] = Value(
        round(result.value, 1), None, None, "Cockcroft-Gault from age, weight, creatinine, sex"
    )


def read_inputs(prefetch: Prefetch, today: dt.date) -> Inputs:
    """Every score input the prefetched data holds, and the problems met reading it."""
    inputs = Inputs()
    _read_patient(prefetch, inputs, today)
    _read_labs(prefetch, inputs)
    _read_answers(prefetch, inputs)
    _creatinine_clearance(inputs)
    return inputs
