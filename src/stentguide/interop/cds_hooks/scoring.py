"""The DAPT scores computed from the inputs read, or the inputs each one lacks."""

from __future__ import annotations

from dataclasses import dataclass, field

from stentguide import risk
from stentguide.errors import InputError
from stentguide.interop.cds_hooks.data import DAPT_SCORES, SCORE_INPUT_SYSTEM, cds_data
from stentguide.interop.cds_hooks.inputs import Inputs

__all__ = ["Scored", "how_to_supply", "score_all"]


def how_to_supply(name: str) -> str:
    spec = cds_data().observations.inputs.get(name)
    if spec is not None:
        codes = ", ".join(f"LOINC {c}" for c in spec.codes)
        return f"an Observation ({codes}) in prefetch 'labs'"
    if name in ("age_years", "sex"):
        return "the Patient (birthDate, gender) in prefetch 'patient'"
    if name == "creatinine_clearance_ml_min":
        return "weight, serum creatinine, age and sex (Cockcroft-Gault), or a recorded answer"
    return f"an Observation coded {SCORE_INPUT_SYSTEM}|{name} in prefetch 'answers'"


@dataclass
class Scored:
    results: dict[str, risk.ScoreResult] = field(default_factory=dict)
    missing: dict[str, dict[str, str]] = field(default_factory=dict)


def score_all(inputs: Inputs) -> Scored:
    scored = Scored()
    for name in DAPT_SCORES:
        spec = risk.get_spec(name)
        needed = [v.name for v in spec.variables if not v.required_when]
        lacking = {
            n: inputs.problems.get(n, f"missing: supply {how_to_supply(n)}")
            for n in needed
            if n not in inputs.values
        }
        if lacking:
            scored.missing[name] = lacking
            continue
        try:
            scored.results[name] = risk.score(name, {n: inputs.values[n].value for n in needed})
        except InputError as exc:
            scored.missing[name] = dict(exc.problems) or {"inputs": str(exc)}
    return scored
