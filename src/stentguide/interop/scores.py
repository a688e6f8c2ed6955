"""A scored case as a FHIR ``RiskAssessment`` (validated with the R4B models).

- ``method``: the score, coded in ``urn:stentguide:codesystem:score``.
- ``prediction``: one entry per published outcome figure of the case's category,
  each with ``qualitativeRisk`` (the category, coded per score) and the figure as
  its ``rationale``. No ``probabilityDecimal`` is given: the figures are reported
  rates of published cohorts, not this patient's probability.
- ``basis``: the ``Observation`` references the inputs came from, when they came
  from FHIR (the CDS Hooks service passes them); otherwise none.
- The total and every input travel in the extensions ``score-value`` and
  ``score-input`` so that a receiver sees exactly what was computed; the
  reconstruction notes, the confidence of each figure and the near-cut-off flag
  are ``note`` entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stentguide import DISCLAIMER, __version__
from stentguide.interop._common import canonical, validated
from stentguide.references import reference
from stentguide.risk import ScoreResult

__all__ = [
    "EXTENSION_SCORE_INPUT",
    "EXTENSION_SCORE_VALUE",
    "SCORE_SYSTEM",
    "category_system",
    "score_to_risk_assessment",
]

SCORE_SYSTEM = canonical("codesystem", "score")
EXTENSION_SCORE_VALUE = canonical("extension", "score-value")
EXTENSION_SCORE_INPUT = canonical("extension", "score-input")


def category_system(score: str) -> str:
    """The code system of one score's categories."""
    return canonical("codesystem", f"score-category:{score}")


def _input_value(value: bool | float | str) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int | float):
        return {"valueDecimal": value}
    return {"valueString": value}


def score_to_risk_assessment(
    result: ScoreResult,
    *,
    subject: str | None = None,
    basis: Mapping[str, str] | None = None,
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    """The result as a ``RiskAssessment``.

    ``subject`` is a reference to the patient (``Patient/123``); without one the
    subject is stated as not identified, since a score run from the command line
    names nobody. ``basis`` maps input names to the references of the Observations
    they were read from.
    """
    category = None
    if result.category is not None:
        category = {
            "coding": [{"system": category_system(result.score), "code": result.category}],
            "text": f"{result.category} ({result.category_label})",
        }
    predictions: list[dict[str, Any]] = []
    for figure in result.outcome:
        prediction: dict[str, Any] = {
            "outcome": {"text": figure.text},
            "rationale": (
                f"{figure.text} [{figure.confidence}; "
                + "; ".join(reference(k).citation() for k in figure.sources)
                + "]"
            ),
        }
        if category is not None:
            prediction["qualitativeRisk"] = category
        predictions.append(prediction)
    notes = [{"text": n} for n in result.notes]
    if result.near_cutoff:
        notes.append({"text": "The total is within the score's uncertainty margin of a cut-off."})
    notes.append({"text": DISCLAIMER})
    value = {
        "url": EXTENSION_SCORE_VALUE,
        "valueQuantity": {"value": result.value, "unit": result.unit},
    }
    inputs = [
        {
            "url": EXTENSION_SCORE_INPUT,
            "extension": [{"url": "name", "valueCode": name}, {"url": "value", **_input_value(v)}],
        }
        for name, v in result.inputs.items()
    ]
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "extension": [value, *inputs],
        "status": "final",
        "method": {
            "coding": [{"system": SCORE_SYSTEM, "code": result.score, "display": result.title}]
        },
        "subject": ({"reference": subject} if subject else {"display": "patient not identified"}),
        "occurrenceDateTime": (when or dt.datetime.now(dt.UTC)).isoformat(),
        "performer": {"display": f"stentguide {__version__}"},
        "note": notes,
    }
    if predictions:
        resource["prediction"] = predictions
    if basis:
        resource["basis"] = [{"reference": ref} for ref in dict.fromkeys(basis.values())]
    return validated(resource)
