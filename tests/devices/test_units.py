"""Units at the edges: inches, French, kPa and bar in, millimetres and atmospheres inside."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.devices import format_length, format_pressure, parse_length, parse_pressure
from stentguide.errors import InputError


@pytest.mark.parametrize(
    ("text", "mm"),
    [
        ("0.070 in", 1.778),
        ('0.014"', 0.3556),
        ("6F", 2.0),
        ("6 Fr", 2.0),
        ("1.42 mm", 1.42),
        (3, 3),
    ],
)
def test_parse_length(text: str | float, mm: float) -> None:
    assert parse_length(text) == pytest.approx(mm)


@pytest.mark.parametrize(
    ("text", "atm"), [("3", 3), ("3 atm", 3), ("101.325 kPa", 1), ("1.01325 bar", 1)]
)
def test_parse_pressure(text: str, atm: float) -> None:
    assert parse_pressure(text) == pytest.approx(atm)


@pytest.mark.parametrize("text", ["-1", "0", "nan", "3 psi", "", "abc"])
def test_impossible_pressures_are_refused(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_pressure(text)
    assert "pressure" in info.value.problems


@pytest.mark.parametrize("text", ["0 mm", "-2 in", "inf", "3 cm"])
def test_impossible_lengths_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_length(text)


def test_formatting() -> None:
    assert format_length(1.778, "in") == "0.070 in"
    assert format_length(2.0, "F") == "6.0 F"
    assert format_pressure(3, "kPa") == "304 kPa"
    assert format_pressure(3, "bar") == "3.0 bar"


@given(st.floats(min_value=0.01, max_value=50, allow_nan=False))
def test_length_round_trips_through_inches(mm: float) -> None:
    assert parse_length(f"{mm / 25.4!r} in") == pytest.approx(mm)


@given(st.floats(min_value=0.1, max_value=40, allow_nan=False))
def test_pressure_round_trips_through_kpa(atm: float) -> None:
    assert parse_pressure(f"{atm * 101.325!r} kPa") == pytest.approx(atm)
