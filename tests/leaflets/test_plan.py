"""The plan: every field required (except the first name), every problem named."""

from __future__ import annotations

import datetime as dt

import pytest

from stentguide.errors import InputError, StentguideError
from stentguide.leaflets import LeafletPlan, parse_plan, plan_schema
from tests.leaflets.plans import BASE_PLAN


def test_valid_plan_parses() -> None:
    plan = parse_plan(BASE_PLAN)
    assert isinstance(plan, LeafletPlan)
    assert plan.procedure_date == dt.date(2025, 1, 31)
    assert plan.patient_first_name == "Anne-Laure"
    assert parse_plan(plan) is plan


def test_first_name_is_optional() -> None:
    data = {k: v for k, v in BASE_PLAN.items() if k != "patient_first_name"}
    assert parse_plan(data).patient_first_name is None
    assert parse_plan({**data, "patient_first_name": "  "}).patient_first_name is None


def test_empty_plan_names_every_required_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_plan({})
    assert set(caught.value.problems) == {
        "access",
        "stent_type",
        "chronic_total_occlusion",
        "second_antiplatelet",
        "antiplatelet_months",
        "procedure_date",
        "language",
        "centre_phone",
    }
    assert all(why == "required" for why in caught.value.problems.values())
    assert isinstance(caught.value, StentguideError)


def test_centre_phone_is_a_phone_number() -> None:
    with pytest.raises(InputError) as caught:
        parse_plan({**BASE_PLAN, "centre_phone": "call reception"})
    assert "phone number" in caught.value.problems["centre_phone"]
    assert (
        parse_plan({**BASE_PLAN, "centre_phone": "(01) 23-45.67"}).centre_phone == "(01) 23-45.67"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("access", "arm", "must be one of radial, femoral"),
        ("stent_type", "magic", "must be one of drug_eluting, bare_metal"),
        ("second_antiplatelet", "clopidogrl", "did you mean clopidogrel?"),
        ("second_antiplatelet", "warfarin", "known: clopidogrel, prasugrel, ticagrelor"),
        ("antiplatelet_months", 0, "must be 1 to 12 months"),
        ("antiplatelet_months", 13, "must be 1 to 12 months"),
        ("antiplatelet_months", 2.5, "whole number of months"),
        ("procedure_date", "2025-02-30", "must be a date as YYYY-MM-DD"),
        ("procedure_date", "1899-01-01", "must be between"),
        ("language", "de", "must be one of en, fr"),
        ("patient_first_name", "R2-D2", "letters, spaces, hyphens or apostrophes"),
        ("patient_first_name", "x" * 41, "at most 40"),
    ],
)
def test_bad_value_is_named(field: str, value: object, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_plan({**BASE_PLAN, field: value})
    assert set(caught.value.problems) == {field}
    assert expected in caught.value.problems[field]
    assert field in str(caught.value)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse_plan({**BASE_PLAN, "nhs_number": "123"})
    assert caught.value.problems == {"nhs_number": "unknown field"}


def test_several_problems_at_once() -> None:
    data = {**BASE_PLAN, "access": "neck", "antiplatelet_months": 40}
    del data["language"]
    with pytest.raises(InputError) as caught:
        parse_plan(data)
    assert set(caught.value.problems) == {"access", "antiplatelet_months", "language"}


def test_not_a_mapping() -> None:
    with pytest.raises(InputError) as caught:
        parse_plan(["radial"])  # type: ignore[arg-type]
    assert "plan" in caught.value.problems


def test_schema_lists_every_field() -> None:
    schema = plan_schema()
    assert set(schema["properties"]) == set(BASE_PLAN)
    assert set(schema["required"]) == set(BASE_PLAN) - {"patient_first_name"}
    months = schema["properties"]["antiplatelet_months"]
    assert (months["minimum"], months["maximum"]) == (1, 12)
