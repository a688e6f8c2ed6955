"""The dashboard's counts per (year, operator, access) and the year column behind them.

The rates summed from the cells must be exactly those counted case by case from
the stored cases, for every breakdown and search, on both databases; the year
column is filled by the database for old rows (migration 0005) and new ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa
from alembic import command

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.analytics import (
    Grouping,
    IntervalMethod,
    interval,
    registry_rates,
)
from stentguide.cases.counts import registry_counts
from stentguide.cases.demo import demo_cases
from stentguide.cases.migrate import _config
from stentguide.cases.model import ComplicationKind, StoredCase
from tests.cases.conftest import make_case

ODD_CASES = [
    # two complications of one kind count the case once
    make_case(
        patient_id="P-1",
        procedure_date="2019-12-31",
        operator="dr-x",
        complications=[{"kind": "perforation"}, {"kind": "perforation"}],
    ),
    # a loss retrieved twice (two attempts), then surgery
    make_case(
        patient_id="P-2",
        procedure_date="2020-01-01",
        operator="dr-x",
        access="femoral",
        complications=[
            {"kind": "stent_loss", "technique": "snare", "success": False},
            {"kind": "stent_loss", "technique": "small_balloon", "success": True},
            {"kind": "emergency_surgery"},
        ],
    ),
    # a loss with no retrieval attempt
    make_case(patient_id="P-3", complications=[{"kind": "stent_loss"}]),
]


def _group(case: StoredCase, by: Grouping) -> str | None:
    if by is Grouping.year:
        return str(case.procedure_date.year)
    if by is Grouping.operator:
        return case.operator
    if by is Grouping.access:
        return str(case.access)
    return None


Expected = dict[tuple[str, str | None], tuple[int, int]]


def _row_wise(cases: list[StoredCase], by: Grouping) -> Expected:
    """(metric, group) -> (events, total), counted one stored case at a time."""
    totals: Counter[str | None] = Counter()
    kinds: Counter[tuple[str | None, str]] = Counter()
    ok: Counter[tuple[str | None, str]] = Counter()
    tried: Counter[tuple[str | None, str]] = Counter()
    after_loss: Counter[str | None] = Counter()
    if by is Grouping.none:
        totals[None] = 0
    for case in cases:
        group = _group(case, by)
        totals[group] += 1
        seen = {str(c.kind) for c in case.complications}
        for kind in seen:
            kinds[(group, kind)] += 1
        if {"stent_loss", "emergency_surgery"} <= seen:
            after_loss[group] += 1
        for c in case.complications:
            if str(c.kind) == "stent_loss" and c.technique is not None:
                tried[(group, str(c.technique))] += 1
                ok[(group, str(c.technique))] += c.success is True
    expected: Expected = {}
    for group, total in totals.items():
        for kind in ComplicationKind:
            expected[(kind.value, group)] = (kinds[(group, kind)], total)
        techniques = [t for g, t in tried if g == group]
        expected[("retrieval_success", group)] = (
            sum(ok[(group, t)] for t in techniques),
            sum(tried[(group, t)] for t in techniques),
        )
        for technique in techniques:
            expected[(f"retrieval_success.{technique}", group)] = (
                ok[(group, technique)],
                tried[(group, technique)],
            )
        expected[("emergency_surgery_after_stent_loss", group)] = (
            after_loss[group],
            kinds[(group, "stent_loss")],
        )
    return expected


SEARCHES = [
    CaseFilter(),
    CaseFilter(since=dt.date(2020, 1, 1), operator="operator-2"),
    CaseFilter(access="femoral"),
    CaseFilter(complication="stent_loss"),
    CaseFilter(outcome="nothing like this"),
]


@pytest.mark.parametrize("by", list(Grouping))
def test_rates_summed_from_cells_equal_the_cases_counted_one_by_one(
    registry: Registry, by: Grouping
) -> None:
    registry.cases.add_many(demo_cases(3000, seed=11), actor="a")
    registry.cases.add_many(ODD_CASES, actor="a")
    for where in SEARCHES:
        cases = list(registry.cases.iter(where))
        expected = _row_wise(cases, by)
        for method in IntervalMethod:
            rates = registry_rates(registry, where, by, method)
            got = {(r.metric, r.group): (r.events, r.total) for r in rates}
            assert len(got) == len(rates)
            assert got == expected, where
            for rate in rates:
                assert rate.method is method
                if rate.total:
                    low, high = interval(rate.events, rate.total, method)
                    assert rate.ci_percent == (100 * low, 100 * high)
        counts = registry_counts(registry, where)
        assert counts.total == len(cases)
        assert counts.synthetic == sum(c.outcome == "synthetic" for c in cases)


def test_one_count_serves_every_breakdown(registry: Registry) -> None:
    registry.cases.add_many(demo_cases(500, seed=5), actor="a")
    counts = registry_counts(registry)
    for by in Grouping:
        assert registry_rates(registry, by=by, counts=counts) == registry_rates(registry, by=by)


def test_year_column_is_backfilled_by_the_migration_and_filled_on_insert(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        registry.cases.add_many(ODD_CASES, actor="a")
        with registry.engine.begin() as conn:
            command.downgrade(_config(conn), "0004_session_generation")
        columns = {c["name"] for c in sa.inspect(registry.engine).get_columns("cases")}
        assert "procedure_year" not in columns
    with Registry.open(db_url) as registry:
        assert registry.status().current == "0006_case_cell_by_id"
        registry.cases.add(make_case(patient_id="P-4", procedure_date="2021-07-08"), actor="a")
        (stored,) = registry.cases.find(CaseFilter(patient_id="P-4"))
        registry.cases.update(stored.uid, {"procedure_date": "2022-01-01"}, actor="a")
        with registry.read() as conn:
            years = conn.execute(
                sa.text("SELECT patient_id, procedure_year FROM cases ORDER BY patient_id")
            ).all()
        indexes = {i["name"] for i in sa.inspect(registry.engine).get_indexes("cases")}
    assert [tuple(row) for row in years] == [
        ("P-1", 2019),
        ("P-2", 2020),
        ("P-3", 2024),
        ("P-4", 2022),
    ]
    assert "ix_cases_period" in indexes
    # PostgreSQL finds a complication's cell by case id in one index (migration 0006)
    assert ("ix_cases_cell_by_id" in indexes) == db_url.startswith("postgresql")


def test_counts_are_kept_until_anything_changes_the_database(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        registry.cases.add_many(demo_cases(200, seed=2), actor="a")
        first = registry_counts(registry)
        again = registry_counts(registry)
        assert again == first
        if registry.dialect == "sqlite":  # a shared PostgreSQL server may change meanwhile
            assert again is first
        registry.cases.add(make_case(), actor="a")
        second = registry_counts(registry)
        assert second.total == first.total + 1
        outside = sa.create_engine(db_url)  # a change the store did not make
        try:
            with outside.begin() as conn:
                conn.execute(
                    sa.text("UPDATE cases SET operator = 'dr-z' WHERE patient_id = 'P-0001'")
                )
        finally:
            outside.dispose()
        third = registry_counts(registry)
    assert [cell for cell in third.cases if cell[1] == "dr-z"] == [(2024, "dr-z", "radial")]
    assert third.total == second.total
