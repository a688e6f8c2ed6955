"""Stop dates: calendar months, across month and year ends and leap years."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.leaflets import add_months, antiplatelet_schedule, parse_plan
from tests.leaflets.plans import BASE_PLAN


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 1, 30), 1, dt.date(2025, 2, 28)),
        (dt.date(2025, 3, 31), 1, dt.date(2025, 4, 30)),
        (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),
        (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
        (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 31)),
        (dt.date(2025, 12, 15), 12, dt.date(2026, 12, 15)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 6, 15), 0, dt.date(2025, 6, 15)),
    ],
)
def test_add_months(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_negative_months_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_months(dt.date(2025, 1, 1), -1)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2098, 12, 31)), st.integers(0, 12))
def test_add_months_properties(start: dt.date, months: int) -> None:
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day <= start.day
    if end.day < start.day:
        assert (end + dt.timedelta(days=1)).day == 1
    assert end >= start


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2098, 12, 31)), st.integers(1, 11))
def test_longer_course_never_stops_earlier(start: dt.date, months: int) -> None:
    assert add_months(start, months) <= add_months(start, months + 1)


def test_schedule_keeps_aspirin_for_life() -> None:
    plan = parse_plan({**BASE_PLAN, "second_antiplatelet": "ticagrelor", "antiplatelet_months": 12,
                       "procedure_date": "2025-12-31"})
    aspirin, second = antiplatelet_schedule(plan)
    assert aspirin.medicine == "aspirin" and aspirin.lifelong and aspirin.months is None
    assert second.medicine == "ticagrelor" and not second.lifelong
    assert second.months == 12
    assert second.stop_date == dt.date(2026, 12, 31)
