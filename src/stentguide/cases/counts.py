"""The registry counted once per cell (year, operator, access): what every rate sums.

:func:`registry_counts` runs four aggregate queries for the cases a search
finds, each grouped by the finest breakdown the dashboard shows: the procedure
year (the generated, indexed ``procedure_year`` column of migration 0005), the
operator and the access. A cell holds each case exactly once, so a count of
distinct cases per cell adds up to the count of distinct cases in any coarser
group; :mod:`stentguide.cases.analytics` sums the cells into the rates overall,
by year, by operator or by access, and one call serves every breakdown of the
dashboard. There are few cells (years x operators x accesses), so the sums cost
nothing beside the queries, and the cases query reads one index, not the table.
The counts of a search are kept until the database changes.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.filters import CaseFilter
from stentguide.cases.vocabulary import SYNTHETIC_OUTCOME, ComplicationKind

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["Cell", "RegistryCounts", "registry_counts"]

Cell = tuple[int, str, str]
"""(procedure year, operator, access): the finest group the dashboard counts."""


@dataclass(frozen=True)
class RegistryCounts:
    """The counts behind every rate of a search, per :data:`Cell`.

    ``cases``: cases per cell; ``kinds``: cases with a complication of a kind, per
    (cell, kind); ``retrieval``: (successful, attempted) retrievals after stent loss
    per (cell, technique); ``after_loss``: cases with both a stent loss and emergency
    surgery per cell; ``synthetic``: how many of the cases are synthetic demonstration
    cases (see :mod:`stentguide.cases.demo`).
    """

    cases: Mapping[Cell, int]
    kinds: Mapping[tuple[Cell, str], int]
    retrieval: Mapping[tuple[Cell, str], tuple[int, int]]
    after_loss: Mapping[Cell, int]
    synthetic: int

    @property
    def total(self) -> int:
        """How many cases the search found."""
        return sum(self.cases.values())


def _cell(row: Any) -> Cell:
    return (int(row.procedure_year), str(row.operator), str(row.access))


_LOCK = threading.Lock()
_KEPT_PER_REGISTRY = 16
_kept: weakref.WeakKeyDictionary[Registry, OrderedDict[CaseFilter, tuple[Hashable, RegistryCounts]]]
_kept = weakref.WeakKeyDictionary()
_watchers: weakref.WeakKeyDictionary[Registry, sqlite3.Connection] = weakref.WeakKeyDictionary()


def _data_version(registry: Registry) -> Hashable | None:
    """A value that changes whenever anything is committed to the database, else ``None``.

    PostgreSQL: the current snapshot (oldest running transaction, next transaction id,
    running ones), equal at two moments only when no transaction that wrote began or
    ended in between. SQLite: ``PRAGMA data_version`` of a connection kept for this and
    never written through, which changes when any other connection commits.
    """
    if registry.dialect == "postgresql":
        with registry.read() as conn:
            return str(conn.execute(sa.text("SELECT pg_current_snapshot()")).scalar_one())
    path = registry.engine.url.database
    if registry.dialect != "sqlite" or not path or path == ":memory:":
        return None
    with _LOCK:
        watcher = _watchers.get(registry)
        if watcher is None:
            watcher = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            _watchers[registry] = watcher
        return int(watcher.execute("PRAGMA data_version").fetchone()[0])


def registry_counts(registry: Registry, where: CaseFilter | None = None) -> RegistryCounts:
    """Count the cases ``where`` finds, their complications and retrievals, per cell.

    The counts of the last few searches are kept until the next change to the
    database (see :func:`_data_version`), so a dashboard shown again over the
    same data does not count again; any commit, by this process or another,
    makes the next call count afresh.
    """
    where = where or CaseFilter()
    version = _data_version(registry)
    if version is not None:
        with _LOCK:
            kept = _kept.get(registry, OrderedDict()).get(where)
        if kept is not None and kept[0] == version:
            return kept[1]
    counts = _count(registry, where)
    if version is not None and _data_version(registry) == version:
        with _LOCK:
            recent = _kept.setdefault(registry, OrderedDict())
            recent[where] = (version, counts)
            recent.move_to_end(where)
            while len(recent) > _KEPT_PER_REGISTRY:
                recent.popitem(last=False)
    return counts


def _count(registry: Registry, where: CaseFilter) -> RegistryCounts:
    clauses = where.where()
    cases, comp = schema.cases, schema.complications
    cell = [cases.c.procedure_year, cases.c.operator, cases.c.access]
    with_cases = comp.join(cases, cases.c.id == comp.c.case_id)
    loss, surgery = comp.alias("loss"), comp.alias("surgery")
    synthetic = sa.func.sum(sa.case((cases.c.outcome == SYNTHETIC_OUTCOME, 1), else_=0))
    with registry.read() as conn:
        per_cell = conn.execute(
            sa.select(*cell, sa.func.count().label("n"), synthetic.label("synthetic"))
            .where(*clauses)
            .group_by(*cell)
        ).all()
        kinds = {
            (_cell(row), str(row.kind)): int(row.n)
            for row in conn.execute(
                sa.select(*cell, comp.c.kind, sa.func.count(sa.distinct(comp.c.case_id)).label("n"))
                .select_from(with_cases)
                .where(*clauses)
                .group_by(*cell, comp.c.kind)
            )
        }
        retrieval = {
            (_cell(row), str(row.technique)): (int(row.ok or 0), int(row.n))
            for row in conn.execute(
                sa.select(
                    *cell,
                    comp.c.technique,
                    sa.func.sum(sa.case((comp.c.success.is_(True), 1), else_=0)).label("ok"),
                    sa.func.count().label("n"),
                )
                .select_from(with_cases)
                .where(
                    *clauses,
                    comp.c.kind == ComplicationKind.stent_loss.value,
                    comp.c.technique.is_not(None),
                )
                .group_by(*cell, comp.c.technique)
            )
        }
        after_loss = {
            _cell(row): int(row.n)
            for row in conn.execute(
                sa.select(*cell, sa.func.count(sa.distinct(loss.c.case_id)).label("n"))
                .select_from(
                    loss.join(cases, cases.c.id == loss.c.case_id).join(
                        surgery, surgery.c.case_id == loss.c.case_id
                    )
                )
                .where(
                    *clauses,
                    loss.c.kind == ComplicationKind.stent_loss.value,
                    surgery.c.kind == ComplicationKind.emergency_surgery.value,
                )
                .group_by(*cell)
            )
        }
    return RegistryCounts(
        cases={_cell(row): int(row.n) for row in per_cell},
        kinds=kinds,
        retrieval=retrieval,
        after_loss=after_loss,
        synthetic=sum(int(row.synthetic or 0) for row in per_cell),
    )
