"""The dashboard's counts per (year, operator, access) and the year column behind them.

The rates summed from the cells must be exactly those counted case by case from
the stored cases, for every breakdown and search, on both databases; the year
column is filled by the database for old rows (migration 0005) and new ones.
Counts kept in the database (migration 0007) are read back by a new process only
while no case or complication has changed, whoever changed it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
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
from stentguide.cases.migrate import _config, shipped_head
from stentguide.cases.model import ComplicationKind, StoredCase
from tests.cases.conftest import make_case, make_session

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
        assert registry.status().current == shipped_head()
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


def _statements(registry: Registry) -> list[str]:
    """The SQL statements ``registry`` sends from now on (a list that grows)."""
    sent: list[str] = []
    sa.event.listen(
        registry.engine, "before_cursor_execute", lambda *args: sent.append(str(args[2]))
    )
    return sent


def _kept_rows(registry: Registry) -> list[tuple[str, int]]:
    with registry.read() as conn:
        return [
            (row.search, row.version)
            for row in conn.execute(sa.text("SELECT search, version FROM kept_counts"))
        ]


def _version(registry: Registry) -> int:
    with registry.read() as conn:
        return int(conn.execute(sa.text("SELECT version FROM registry_version")).scalar_one())


def test_a_new_process_reads_kept_counts_in_one_query(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        registry.cases.add_many(demo_cases(300, seed=3), actor="a")
        counted = registry_counts(registry, SEARCHES[1])
        assert [search for search, _ in _kept_rows(registry)] == [
            '{"operator":"operator-2","since":"2020-01-01"}'
        ]
    with Registry.open(db_url) as fresh:  # nothing kept in this process yet
        sent = _statements(fresh)
        assert registry_counts(fresh, SEARCHES[1]) == counted
        assert [q for q in sent if q.startswith("SELECT")] == [sent[-1]]
        assert "kept_counts" in sent[-1]
        # another search is counted, and kept beside the first
        assert registry_counts(fresh, SEARCHES[2]).total == len(
            list(fresh.cases.iter(SEARCHES[2]))
        )
        assert len(_kept_rows(fresh)) == 2


_OUTSIDE_CHANGES = [
    "INSERT INTO complications (case_id, kind) "
    "SELECT id, 'perforation' FROM cases WHERE patient_id = 'P-3'",
    "UPDATE complications SET kind = 'dissection' WHERE kind = 'perforation'",
    "DELETE FROM complications WHERE kind = 'dissection'",
    "UPDATE cases SET access = 'femoral' WHERE patient_id = 'P-1'",
    "DELETE FROM complications WHERE case_id IN (SELECT id FROM cases WHERE patient_id = 'P-3')",
    "DELETE FROM cases WHERE patient_id = 'P-3'",
]


def test_any_change_to_cases_or_complications_makes_kept_counts_stale(db_url: str) -> None:
    """Changes made outside the package (a SQL prompt) count too: the version is raised."""
    with Registry.open(db_url) as registry:
        registry.cases.add_many(ODD_CASES, actor="a")
    outside = sa.create_engine(db_url)
    truncate = ["TRUNCATE complications"] if db_url.startswith("postgresql") else []
    try:
        for change in _OUTSIDE_CHANGES + truncate:
            with Registry.open(db_url) as registry:
                before = registry_counts(registry)
                version = _version(registry)
            with outside.begin() as conn:
                conn.execute(sa.text(change))
            with Registry.open(db_url) as registry:
                assert _version(registry) > version, change
                after = registry_counts(registry)
                assert after == _fresh_counts(registry), change
                assert after != before, change
    finally:
        outside.dispose()


def _fresh_counts(registry: Registry) -> object:
    from stentguide.cases.counts import _count

    return _count(registry, CaseFilter())


def test_reads_and_other_tables_leave_the_version_alone(registry: Registry) -> None:
    registry.cases.add_many(ODD_CASES, actor="a")
    version = _version(registry)
    registry_counts(registry)
    list(registry.cases.iter(CaseFilter()))
    registry.audit.record(actor="a", action="export", entity="case", entity_id="x")
    registry.runs.save(make_session(), actor="a")
    assert _version(registry) == version
    assert len(_kept_rows(registry)) == 1


def test_counts_of_a_changed_registry_are_not_kept(registry: Registry) -> None:
    """Counts made while a change was committed belong to no version: returned, not kept."""
    from stentguide.cases.counts import _keep

    registry.cases.add_many(ODD_CASES, actor="a")
    version = _version(registry)
    counts = registry_counts(registry)
    registry.cases.add(make_case(patient_id="P-9"), actor="a")
    assert not _keep(registry, "{}", version, counts)
    assert _kept_rows(registry) == [("{}", version)]  # the old row, now stale
    assert registry_counts(registry).total == counts.total + 1
    assert _kept_rows(registry) == [("{}", _version(registry))]


def test_counts_are_answered_when_the_database_cannot_keep_them(sqlite_url: str) -> None:
    """Busy with another writer, or opened read-only: the counts come back, unkept."""
    with Registry.open(sqlite_url) as registry:
        registry.cases.add_many(ODD_CASES, actor="a")
        expected = _fresh_counts(registry)
    path = sqlite_url.removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with Registry.open(sqlite_url) as registry:
            assert registry_counts(registry) == expected
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with Registry.open(f"sqlite:///file:{path}?mode=ro&uri=true") as read_only:
        first = registry_counts(read_only)
        assert first == expected
        assert _kept_rows(read_only) == []
        assert registry_counts(read_only) is first  # still kept in the process


def test_counting_beside_and_in_one_snapshot_agree(registry: Registry) -> None:
    """The cases counted on a second connection give what one read transaction gives."""
    from stentguide.cases.counts import _count

    registry.cases.add_many(demo_cases(800, seed=8), actor="a")
    registry.cases.add_many(ODD_CASES, actor="a")
    for where in SEARCHES:
        assert _count(registry, where) == _count(registry, where, beside=False), where


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_registry_is_counted_on_its_one_connection(url: str) -> None:
    """A second connection to an in-memory SQLite database would open an empty one."""
    with Registry.open(url) as registry:
        registry.cases.add_many(ODD_CASES, actor="a")
        counts = registry_counts(registry)
    assert counts.total == 3
    assert sum(n for (_cell, kind), n in counts.kinds.items() if kind == "perforation") == 1
