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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.case_store import CaseFilter
from stentguide.cases.demo import SYNTHETIC_OUTCOME
from stentguide.cases.model import ComplicationKind

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


def registry_counts(registry: Registry, where: CaseFilter | None = None) -> RegistryCounts:
    """Count the cases ``where`` finds, their complications and retrievals, per cell."""
    clauses = (where or CaseFilter()).where()
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
