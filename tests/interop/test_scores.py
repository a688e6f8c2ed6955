"""Scores as FHIR RiskAssessment resources, from the Python API and the CLI."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.riskassessment import RiskAssessment

from stentguide.interop.scores import (
    EXTENSION_SCORE_INPUT,
    EXTENSION_SCORE_VALUE,
    SCORE_SYSTEM,
    score_to_risk_assessment,
)
from stentguide.risk import list_scores, score
from tests.conftest import CliRun
from tests.interop.roundtrip import assert_round_trips
from tests.risk.cases import baseline

AVAILABLE = [s.name for s in list_scores() if s.available]


@pytest.mark.parametrize("name", AVAILABLE)
def test_every_score_exports_a_valid_risk_assessment(name: str) -> None:
    result = score(name, baseline(name))
    data = score_to_risk_assessment(result, subject="Patient/p1")
    assert_round_trips(data)
    assert data["method"]["coding"][0] == {
        "system": SCORE_SYSTEM,
        "code": name,
        "display": result.title,
    }
    value = next(e for e in data["extension"] if e["url"] == EXTENSION_SCORE_VALUE)
    assert value["valueQuantity"]["value"] == result.value
    inputs = [e for e in data["extension"] if e["url"] == EXTENSION_SCORE_INPUT]
    assert len(inputs) == len(result.inputs)
    if result.category is not None:
        assert data["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == result.category
    assert "basis" not in data


def test_inputs_read_from_fhir_are_the_basis() -> None:
    result = score("precise-dapt", baseline("precise-dapt", age_years=80))
    data = score_to_risk_assessment(
        result, basis={"haemoglobin_g_dl": "Observation/hb", "wbc_10e9_l": "Observation/wbc"}
    )
    assert [b["reference"] for b in data["basis"]] == ["Observation/hb", "Observation/wbc"]
    assert data["subject"] == {"display": "patient not identified"}
    RiskAssessment.model_validate(data)


def test_cli_prints_a_risk_assessment(cli: CliRun) -> None:
    case = json.dumps(baseline("precise-dapt", age_years=90, prior_spontaneous_bleeding=True))
    result = cli("score", "precise-dapt", "--json", case, "--format", "fhir")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    RiskAssessment.model_validate(data)
    assert data["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high bleeding risk"


def test_cli_fhir_needs_one_case(cli: CliRun) -> None:
    result = cli("score", "precise-dapt", "--format", "fhir")
    assert result.returncode == 2
    assert "--json" in result.stderr
