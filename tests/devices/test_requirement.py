"""Pathway-step device requirements checked against a case's declared devices."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from stentguide import devices as dv
from stentguide.errors import UnknownNameError

SMALL_BALLOON = dv.DeviceRequirement(
    role="retrieval_balloon",
    kind="balloon",
    label="new small balloon, single marker, <= 1.5 mm",
    max_diameter_mm=1.5,
    markers=1,
    inflate_at_atm=3,
    sources=["AMSTUTZ23_PTCA"],
)


def test_missing_role_is_unknown_and_says_what_to_declare() -> None:
    check = dv.check_requirement(SMALL_BALLOON, {"guide": "Launcher 6F"})
    assert check.status == "unknown"
    assert "declare the retrieval balloon" in check.message


def test_matching_balloon_is_ok_with_the_diameter_at_pressure() -> None:
    check = dv.check_requirement(
        SMALL_BALLOON, {"retrieval_balloon": "balloon 1.5x12 SC single marker"}
    )
    assert check.status == "ok"
    assert check.estimated
    assert 1.3 <= float(check.figures["diameter_at_pressure_mm"]) <= 1.45
    assert "3 atm" in check.message
    assert "AJC86_BALLOON_PRESSURE" in check.sources


def test_too_big_balloon_fails() -> None:
    check = dv.check_requirement(
        SMALL_BALLOON, {"retrieval_balloon": "balloon 2.5x12 SC single marker"}
    )
    assert check.status == "fail"
    assert "above the 1.5 mm limit" in check.message


def test_unknown_marker_count_is_unknown() -> None:
    check = dv.check_requirement(SMALL_BALLOON, {"retrieval_balloon": "Emerge 1.5x12"})
    assert check.status == "unknown"
    assert "marker" in check.message


def test_wrong_kind_fails() -> None:
    check = dv.check_requirement(SMALL_BALLOON, {"retrieval_balloon": "stent 3.0x18"})
    assert check.status == "fail"
    assert "not a balloon" in check.message


def test_fit_beside_the_stent_in_the_guide() -> None:
    req = SMALL_BALLOON.model_copy(update={"fits_with": ["stent"]})
    declared = {
        "guide": "Launcher 6F",
        "stent": "stent 3.0x18",
        "retrieval_balloon": "balloon 1.5x12 SC single marker",
    }
    check = dv.check_requirement(req, declared)
    assert check.status == "fail"
    assert check.figures["fit"] == "does_not_fit"
    assert float(check.figures["margin_mm"]) < 0
    missing_guide = dv.check_requirement(req, {k: v for k, v in declared.items() if k != "guide"})
    assert missing_guide.status == "unknown"
    assert "guide" in missing_guide.message


def test_guide_extension_is_the_lumen_when_declared() -> None:
    req = dv.DeviceRequirement(
        role="stent",
        kind="stent",
        label="stent through the extension with a buddy wire",
        fits_with=["buddy_wire"],
        sources=["PAWLOWSKI21_GEC"],
    )
    check = dv.check_requirement(
        req,
        {
            "guide": "Launcher 7F",
            "guide_extension": "Telescope 6F",
            "stent": "stent 3.0x18",
            "buddy_wire": "0.014 in wire",
        },
    )
    assert check.figures["lumen_mm"] == pytest.approx(1.42)


def test_pressure_past_rated_burst_fails() -> None:
    req = SMALL_BALLOON.model_copy(update={"inflate_at_atm": 30, "markers": None})
    check = dv.check_requirement(req, {"retrieval_balloon": "Emerge 1.5"})
    assert check.status == "fail"
    assert "rated burst" in check.message


def test_unknown_device_name_raises() -> None:
    with pytest.raises(UnknownNameError):
        dv.check_requirement(SMALL_BALLOON, {"retrieval_balloon": "Flux capacitor"})


def test_requirement_is_strict_and_check_serialises() -> None:
    with pytest.raises(ValidationError):
        dv.DeviceRequirement.model_validate({**SMALL_BALLOON.model_dump(), "colour": "red"})
    check = dv.check_requirement(SMALL_BALLOON, {"retrieval_balloon": "Emerge 1.5"})
    data = json.loads(json.dumps(check.model_dump(mode="json")))
    assert dv.DeviceCheck.model_validate(data) == check


def test_check_is_pure() -> None:
    declared = {"retrieval_balloon": "balloon 1.5x12 SC single marker"}
    assert dv.check_requirement(SMALL_BALLOON, declared) == dv.check_requirement(
        SMALL_BALLOON, declared
    )


def test_missing_pressure_figures_leave_the_check_open_but_burst_fails() -> None:
    own_balloon = dv.DeviceRequirement(
        role="stent",
        kind="stent",
        label="the stent's own balloon at 3 atm",
        inflate_at_atm=3,
        sources=["AMSTUTZ23_PTCA"],
    )
    open_check = dv.check_requirement(own_balloon, {"stent": "stent 3.0x18"})
    assert open_check.status == "unknown"
    assert "nominal pressure unknown" in open_check.message
    past_burst = own_balloon.model_copy(update={"inflate_at_atm": 30})
    refused = dv.check_requirement(past_burst, {"stent": "stent 3.0x18 10/16 atm"})
    assert refused.status == "fail"
    assert "above the rated burst pressure" in refused.message
