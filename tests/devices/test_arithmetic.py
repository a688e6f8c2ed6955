"""Fit, compliance, snare choice and post-dilatation, with the research note's worked checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stentguide import devices as dv
from stentguide.errors import DeviceError, InputError

WIRE = "0.014 in wire"


# Worked check 1: two round devices side by side in a lumen.
def test_stent_and_second_balloon_do_not_fit_in_a_6f_launcher() -> None:
    result = dv.check_fit("Launcher 6F", ["stent 3.0x18", "balloon 1.5x12 SC"])
    assert result.verdict == "does_not_fit"
    assert result.lumen_mm == pytest.approx(1.803, abs=1e-3)
    assert result.sum_mm == pytest.approx(1.198 + 1.2)
    assert result.margin_mm < 0
    assert "does not fit" in result.explanation
    assert result.estimated


def test_stent_beside_a_balloon_shaft_is_borderline_in_a_6f_guide() -> None:
    result = dv.check_fit("Launcher 6F", ["stent 3.0x18", "balloon 1.5x12 SC shaft"])
    assert result.verdict == "borderline"
    assert result.sum_low_mm == pytest.approx(0.97 + 0.59)


def test_stent_and_wire_are_borderline_in_a_6f_guide_extension() -> None:
    result = dv.check_fit("6F guide extension", ["stent 3.0x18", WIRE])
    assert result.lumen_mm == pytest.approx(1.42)
    assert result.verdict == "borderline"


# Worked check 3: a microsnare through the guide.
def test_microsnare_and_wire_fit_a_6f_guide() -> None:
    result = dv.check_fit("Vista Brite Tip 6F", ["Amplatz GooseNeck microsnare 4 mm", WIRE])
    assert result.verdict == "fits"
    assert result.sum_mm == pytest.approx(1.0 + 0.3556, abs=1e-3)


def test_microsnare_wire_and_undeployed_stent_do_not_fit_a_6f_guide() -> None:
    result = dv.check_fit(
        "Vista Brite Tip 6F", ["Amplatz GooseNeck microsnare 4 mm", WIRE, "stent 3.0x18"]
    )
    assert result.verdict == "does_not_fit"


def test_seven_french_extension_does_not_fit_a_6f_guide() -> None:
    assert dv.check_fit("Launcher 6F", ["Telescope 7F"]).verdict == "does_not_fit"
    assert dv.check_fit("Launcher 6F", ["Telescope 6F"]).verdict == "fits"


def test_fit_needs_a_lumen_and_a_device() -> None:
    with pytest.raises(InputError):
        dv.check_fit("stent 3.0x18", [WIRE])
    with pytest.raises(InputError):
        dv.check_fit("Launcher 6F", [])


# Worked check 2 and the low-pressure question.
def test_small_sc_balloon_at_3_atm_is_an_extrapolated_estimate() -> None:
    result = dv.balloon_diameter_at("balloon 1.5x12 SC", 3)
    assert 1.3 <= result.diameter_mm <= 1.45
    assert result.estimated
    assert "extrapolated below 6 atm" in result.basis
    assert any("not be fully unfolded" in w for w in result.warnings)


def test_sc_balloon_at_3_atm_is_wider_than_a_crimped_stent_lumen() -> None:
    strut = 0.06
    crimped_lumen_high = 1.2 - 2 * strut
    assert dv.balloon_diameter_at("Emerge 1.5", "3 atm").low_mm > crimped_lumen_high


def test_pressure_above_rated_burst_is_refused() -> None:
    with pytest.raises(DeviceError, match="rated burst"):
        dv.balloon_diameter_at("Emerge 1.5", 20)


def test_nc_balloon_needs_its_pressures() -> None:
    with pytest.raises(DeviceError, match="nominal and rated burst"):
        dv.balloon_diameter_at("balloon 3.0x12 NC", 14)
    result = dv.balloon_diameter_at("balloon 3.0x12 NC 12/20 atm", 20)
    assert result.diameter_mm == pytest.approx(3.3)


def test_inflating_a_wire_is_refused() -> None:
    with pytest.raises(InputError):
        dv.balloon_diameter_at(WIRE, 3)


def test_kpa_and_atm_give_the_same_diameter() -> None:
    a = dv.balloon_diameter_at("Trek 3.0", 8)
    b = dv.balloon_diameter_at("Trek 3.0", f"{8 * 101.325} kPa")
    assert a.diameter_mm == pytest.approx(b.diameter_mm)


def test_max_post_dilatation() -> None:
    assert dv.max_post_dilatation("XIENCE Sierra 3.5").max_diameter_mm == 5.5
    orsiro = dv.max_post_dilatation("Orsiro 4.0")
    assert orsiro.max_diameter_mm == 5.2
    unknown = dv.max_post_dilatation("SYNERGY 2.5")
    assert unknown.max_diameter_mm is None
    assert "IFU" in unknown.message


def test_snare_choice_through_a_guide_beside_a_wire() -> None:
    choice = dv.choose_snare(3.0, "Launcher 6F", [WIRE])
    assert choice.recommended is not None
    best = choice.options[0]
    assert best.loop_max_mm >= 3.0
    assert best.fit.verdict == "fits"
    assert any("narrower" in why for why in choice.rejected.values())


def test_no_snare_fits_beside_an_undeployed_stent_and_wire_in_a_6f_guide() -> None:
    choice = dv.choose_snare(3.0, "Vista Brite Tip 6F", [WIRE, "stent 3.0x18"])
    assert choice.recommended is None


def test_snare_for_an_impossible_vessel_is_refused() -> None:
    with pytest.raises(InputError):
        dv.choose_snare(0, "Launcher 6F")


# Properties.
GUIDES = [d.name for d in dv.list_devices("guide")]
LOADS = ["stent 3.0x18", "balloon 1.5x12 SC", "balloon 1.5x12 SC shaft", WIRE, "Orsiro 3.0"]
RANK = {"does_not_fit": 0, "borderline": 1, "fits": 2}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(GUIDES),
    st.sampled_from(GUIDES),
    st.lists(st.sampled_from(LOADS), min_size=1, max_size=3),
)
def test_a_bigger_guide_never_fits_less(small: str, big: str, load: list[str]) -> None:
    a, b = dv.get_device(small), dv.get_device(big)
    assert a.kind == "guide" and b.kind == "guide"
    if a.inner_diameter.value > b.inner_diameter.value:
        a, b = b, a
    if a.inner_diameter.highest > b.inner_diameter.highest:
        return
    ra, rb = dv.check_fit(a, load), dv.check_fit(b, load)
    assert rb.margin_mm >= ra.margin_mm
    assert RANK[rb.verdict] >= RANK[ra.verdict]


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1.0, max_value=8.0), st.floats(min_value=0.1, max_value=1.0))
def test_adding_a_device_never_helps(lumen_mm: float, extra_mm: float) -> None:
    guide = f"6F guide {lumen_mm:.3f} mm"
    alone = dv.check_fit(guide, [WIRE])
    more = dv.check_fit(guide, [WIRE, f"{extra_mm / 25.4:.4f} in wire"])
    assert more.margin_mm < alone.margin_mm


BALLOONS = [d.name for d in dv.list_devices("balloon")] + [
    d.name for d in dv.list_devices("stent") if d.nominal_pressure is not None
]


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(BALLOONS),
    st.floats(min_value=0.5, max_value=20),
    st.floats(min_value=0.5, max_value=20),
)
def test_diameter_is_monotone_in_pressure(name: str, p1: float, p2: float) -> None:
    device = dv.get_device(name)
    burst = device.rated_burst_pressure.value  # type: ignore[union-attr]
    lo, hi = sorted((min(p1, burst), min(p2, burst)))
    assert dv.balloon_diameter_at(device, lo).diameter_mm <= (
        dv.balloon_diameter_at(device, hi).diameter_mm
    )
