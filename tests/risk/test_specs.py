"""One check battery over every shipped score: data, sources, schema, ranges, round trip."""

from __future__ import annotations

import json

import pytest

import stentguide.risk as risk_pkg
from stentguide.references import load_references
from stentguide.risk import ScoreResult, get_spec, input_schema, list_scores, score
from tests.risk.cases import baseline

NAMES = [i.name for i in list_scores() if i.available]

EXPECTED = {
    "arc-hbr",
    "cigarroa-contrast-limit",
    "cockcroft-gault",
    "contrast-clearance-ratio",
    "egfr-ckd-epi-2021",
    "dapt",
    "j-cto",
    "mehran",
    "precise-dapt",
    "progress-cto",
    "progress-cto-complications",
    "progress-cto-mace",
    "progress-cto-perforation",
}


def test_the_issue_scores_are_shipped() -> None:
    assert set(NAMES) == EXPECTED


def test_public_surface_is_exactly_all() -> None:
    public = {n for n in dir(risk_pkg) if not n.startswith("_")}
    modules = {
        "_api",
        "_catalog",
        "_columns",
        "_contrast",
        "_equations",
        "_evaluate",
        "_files",
        "_model",
        "_panel",
        "_requests",
        "_result",
        "_units",
    }
    assert public - modules - {"annotations"} == set(risk_pkg.__all__)


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_and_rule_is_sourced(name: str) -> None:
    spec = get_spec(name)
    refs = load_references()
    for rule in spec.rules:
        assert rule.sources and set(rule.sources) <= set(refs)
    for cat in spec.categories:
        assert cat.sources
        for figure in cat.outcome:
            assert set(figure.sources) <= set(refs)


@pytest.mark.parametrize("name", NAMES)
def test_schema_matches_the_spec(name: str) -> None:
    schema = input_schema(name)
    case = baseline(name)
    assert set(schema["required"]) == set(case)
    assert schema["additionalProperties"] is False
    for var_name, prop in schema["properties"].items():
        if prop["type"] == "number":
            assert prop["minimum"] <= case[var_name] <= prop["maximum"]
    json.dumps(schema)


@pytest.mark.parametrize("name", NAMES)
def test_baseline_scores_and_round_trips(name: str) -> None:
    result = score(name, baseline(name))
    again = ScoreResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert result.sources and len(result.citations) == len(result.sources)
    if get_spec(name).categories:
        assert result.category is not None and result.outcome


@pytest.mark.parametrize("name", NAMES)
def test_range_ends_are_accepted_and_just_outside_refused(name: str) -> None:
    from stentguide.errors import InputError

    spec = get_spec(name)
    case = baseline(name)
    for var in spec.variables:
        if var.name not in case or var.minimum is None or var.maximum is None:
            continue
        for edge in (var.minimum, var.maximum):
            score(name, {**case, var.name: edge})
        for outside in (var.minimum - 0.001, var.maximum + 0.001):
            with pytest.raises(InputError) as info:
                score(name, {**case, var.name: outside})
            assert list(info.value.problems) == [var.name]


@pytest.mark.parametrize("name", NAMES)
def test_adding_a_positive_item_never_lowers_the_total(name: str) -> None:
    spec = get_spec(name)
    if spec.kind == "equation":
        return
    case = baseline(name)
    base = score(name, case).value
    for var in spec.variables:
        if var.type == "bool":
            assert score(name, {**case, var.name: True}).value >= base
