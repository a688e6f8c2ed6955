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
The counts of a search are kept, in the process and in the database, until a
case or complication changes (migration 0007).
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.cells import (
    Cell,
    RegistryCounts,
    decoded,
    encoded,
    kept_counts_query,
    search_key,
)
from stentguide.cases.database import WAIT_AT_MOST
from stentguide.cases.filters import CaseFilter
from stentguide.cases.vocabulary import SYNTHETIC_OUTCOME, ComplicationKind
from stentguide.errors import StoreError

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["Cell", "RegistryCounts", "registry_counts"]

_log = logging.getLogger(__name__)
_KEPT_QUERY = sa.text(kept_counts_query(":search"))
_VERSION = sa.select(schema.registry_version.c.version).where(schema.registry_version.c.id == 1)


def _cell(row: Any) -> Cell:
    return (int(row.procedure_year), str(row.operator), str(row.access))


_LOCK = threading.Lock()
_KEPT_PER_REGISTRY = 16
_kept: weakref.WeakKeyDictionary[Registry, OrderedDict[CaseFilter, tuple[int, RegistryCounts]]]
_kept = weakref.WeakKeyDictionary()
_KEPT_IN_DATABASE = 64
"""Searches whose counts the database keeps; past that, only the latest is kept."""
_WAIT_TO_KEEP_SECONDS = 0.25


def registry_counts(registry: Registry, where: CaseFilter | None = None) -> RegistryCounts:
    """Count the cases ``where`` finds, their complications and retrievals, per cell.

    Counts are kept, in this process and in the database (``kept_counts``), with
    the registry's version (``registry_version``, raised by database triggers on
    any change to cases or complications, whoever makes it). A search counted
    at the current version is answered from what was kept, also by a new
    process; after any change the next call counts afresh.
    """
    where = where or CaseFilter()
    search = search_key(where)
    with registry.read() as conn:
        _revision, version, stored = conn.execute(_KEPT_QUERY, {"search": search}).one()
    with _LOCK:
        kept = _kept.get(registry, OrderedDict()).get(where)
    if kept is not None and kept[0] == version:
        return kept[1]
    if stored is not None:
        counts = decoded(stored)
    else:
        counts = _count(registry, where)
        if not _keep(registry, search, int(version), counts) and _version(registry) != version:
            return _count(registry, where, beside=False)  # changed meanwhile: one snapshot
    with _LOCK:
        recent = _kept.setdefault(registry, OrderedDict())
        recent[where] = (int(version), counts)
        recent.move_to_end(where)
        while len(recent) > _KEPT_PER_REGISTRY:
            recent.popitem(last=False)
    return counts


def _version(registry: Registry) -> int:
    with registry.read() as conn:
        return int(conn.execute(_VERSION).scalar_one())


def _keep(registry: Registry, search: str, version: int, counts: RegistryCounts) -> bool:
    """Keep ``counts`` counted at ``version`` in the database, if nothing changed since.

    False when the registry changed while counting (the counts are not those of
    any one version), when the search is too long to be a key, or when the
    database cannot take the write now (read-only, or busy with a long write):
    the counts are then not kept in the database (only in the process, if the
    version has not moved).
    """
    if len(search) > schema.SEARCH_KEY_LENGTH:
        return False
    kept = schema.kept_counts
    try:
        with registry.engine.connect() as conn:
            conn.execution_options(**{WAIT_AT_MOST: _WAIT_TO_KEEP_SECONDS})
            with conn.begin():
                if conn.execute(_VERSION).scalar_one() != version:
                    return False
                conn.execute(kept.delete().where(kept.c.version != version))
                conn.execute(kept.delete().where(kept.c.search == search))
                conn.execute(
                    kept.insert().values(search=search, version=version, counts=encoded(counts))
                )
                held = conn.execute(sa.select(sa.func.count()).select_from(kept)).scalar_one()
                if held > _KEPT_IN_DATABASE:
                    conn.execute(kept.delete().where(kept.c.search != search))
    except (StoreError, sa.exc.DBAPIError) as exc:
        _log.info("counts not kept: %s", exc)
        return False
    return True


@functools.cache
def _counting_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="stentguide-count")


def _one_database_for_every_connection(registry: Registry) -> bool:
    """False for an in-memory SQLite registry: each connection would open an empty one."""
    if registry.dialect != "sqlite":
        return True
    url = registry.engine.url
    return url.database not in (None, "", ":memory:") and "memory" not in str(url)


def _all_rows(registry: Registry, query: sa.Select[Any]) -> Sequence[sa.Row[Any]]:
    with registry.read() as conn:
        return conn.execute(query).all()


def _count(registry: Registry, where: CaseFilter, *, beside: bool = True) -> RegistryCounts:
    """The counts of ``where``, read in one read transaction unless ``beside``.

    With ``beside`` (the default), the cases are counted on a connection of their own,
    in a worker thread, while this one counts the complications: about the time of
    the longer of the two instead of both. The two reads may then see the registry at
    two versions; :func:`registry_counts` keeps such counts only when the version did
    not move, and counts again in one transaction when it did.
    """
    clauses = where.where()
    cases, comp = schema.cases, schema.complications
    cell = [cases.c.procedure_year, cases.c.operator, cases.c.access]
    with_cases = comp.join(cases, cases.c.id == comp.c.case_id)
    loss, surgery = comp.alias("loss"), comp.alias("surgery")
    synthetic = sa.func.sum(sa.case((cases.c.outcome == SYNTHETIC_OUTCOME, 1), else_=0))
    cases_query = (
        sa.select(*cell, sa.func.count().label("n"), synthetic.label("synthetic"))
        .where(*clauses)
        .group_by(*cell)
    )
    if beside and _one_database_for_every_connection(registry):
        counted_beside = _counting_pool().submit(_all_rows, registry, cases_query)
    else:
        counted_beside = None
    with registry.read() as conn:
        counted_here = conn.execute(cases_query).all() if counted_beside is None else []
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
    per_cell = counted_here if counted_beside is None else counted_beside.result()
    return RegistryCounts(
        cases={_cell(row): int(row.n) for row in per_cell},
        kinds=kinds,
        retrieval=retrieval,
        after_loss=after_loss,
        synthetic=sum(int(row.synthetic or 0) for row in per_cell),
    )
