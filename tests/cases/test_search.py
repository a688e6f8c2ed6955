"""A search typed by a person, read once in the core for both faces."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.demo import demo_cases
from stentguide.cases.search import (
    SEARCH_FIELDS,
    count_synthetic,
    parse_search,
    search_detail,
    synthetic_warning,
)
from stentguide.errors import InputError
from tests.cases.conftest import make_case


@given(st.dictionaries(st.sampled_from(SEARCH_FIELDS), st.text(max_size=70)))
def test_any_search_is_a_query_or_names_its_bad_fields(raw: dict[str, str]) -> None:
    try:
        query = parse_search(raw)
    except InputError as exc:
        assert exc.problems
        assert set(exc.problems) <= set(SEARCH_FIELDS)
        assert set(exc.problems) <= {k for k, v in raw.items() if v.strip()}
        return
    for field, text in raw.items():
        value = getattr(query, field)
        if not text.strip():
            assert value is None
        elif field in ("since", "until"):
            assert value == dt.date.fromisoformat(text.strip())
        else:
            assert value == text.strip()


def test_a_search_reads_dates_and_choices() -> None:
    query = parse_search(
        {"since": " 2024-01-01", "until": "2024-12-31", "access": "radial", "page": "2"}
    )
    assert query == CaseFilter(
        since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31), access="radial"
    )
    detail = {"since": "2024-01-01", "until": "2024-12-31", "access": "radial"}
    assert search_detail(query) == detail


def test_every_bad_field_is_named_with_close_names() -> None:
    with pytest.raises(InputError) as caught:
        parse_search(
            {
                "since": "yesterday",
                "complication": "stent_los",
                "access": "wrist",
                "operator": "x" * 65,
            }
        )
    problems = caught.value.problems
    assert problems["since"] == "'yesterday' is not a date (YYYY-MM-DD)"
    assert "did you mean stent_loss" in problems["complication"]
    assert "one of radial, femoral" in problems["access"]
    assert problems["operator"] == "at most 64 characters"


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse_search({"since": "2024-02-01", "until": "2024-01-01"})
    assert caught.value.problems == {"since": "2024-02-01 is after until 2024-01-01"}


def test_the_synthetic_warning_counts_the_invented_cases(registry: Registry) -> None:
    registry.cases.add_many([*demo_cases(5, seed=1), make_case()], actor="a")
    everything = CaseFilter()
    assert count_synthetic(registry, everything) == 5
    assert synthetic_warning(5, 6) == (
        "5 of the 6 cases counted are synthetic demonstration data, not a real registry"
    )
    assert count_synthetic(registry, CaseFilter(outcome="deployed")) == 0
    assert synthetic_warning(0, 1) is None


def test_the_command_line_has_an_option_for_every_search_field() -> None:
    from stentguide.cli.cases import SEARCH_OPTIONS

    assert tuple(SEARCH_OPTIONS) == SEARCH_FIELDS
