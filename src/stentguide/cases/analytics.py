"""Complication rates of a registry with Wilson 95% intervals, beside the literature.

A rate is events over cases (or over retrieval attempts for retrieval success).
Its interval is the Wilson score interval, which stays inside 0-100% and
behaves at the small counts a single cath lab sees (Wilson EB, J Am Stat Assoc
1927;22:209-212; recommended over the Wald interval by Brown, Cai and DasGupta,
Stat Sci 2001;16:101-133). Every count is one SQL aggregate over indexed
columns, so the dashboard stays quick on a million cases.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.case_store import CaseFilter
from stentguide.cases.literature import LiteratureFigure, load_literature
from stentguide.cases.model import ComplicationKind, RetrievalTechnique
from stentguide.cases.registry import Registry
from stentguide.errors import InputError

__all__ = ["Comparison", "Grouping", "Rate", "compare", "registry_rates", "wilson_interval"]

Z95 = 1.959963984540054


def wilson_interval(events: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``events`` out of ``total`` (proportions, not percent)."""
    if total <= 0:
        raise InputError("no denominator", {"total": "must be at least 1"})
    if not 0 <= events <= total:
        raise InputError("impossible count", {"events": f"{events} is not within 0..{total}"})
    p = events / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    low = 0.0 if events == 0 else max(0.0, centre - half)
    high = 1.0 if events == total else min(1.0, centre + half)
    return low, high


class Grouping(enum.StrEnum):
    """How rates are broken down."""

    none = "none"
    year = "year"
    operator = "operator"
    access = "access"


@dataclass(frozen=True)
class Rate:
    """Events out of a total, in one group, with its Wilson 95% interval."""

    metric: str
    label: str
    group: str | None
    events: int
    total: int

    @property
    def percent(self) -> float | None:
        return 100 * self.events / self.total if self.total else None

    @property
    def ci_percent(self) -> tuple[float, float] | None:
        if not self.total:
            return None
        low, high = wilson_interval(self.events, self.total)
        return 100 * low, 100 * high


@dataclass(frozen=True)
class Comparison:
    """A registry rate and the published figures for the same metric."""

    rate: Rate
    figures: list[LiteratureFigure] = field(default_factory=list)


_LABELS = {
    ComplicationKind.stent_loss: "Stent loss",
    ComplicationKind.delivery_failure: "Failure to deliver a stent",
    ComplicationKind.emergency_surgery: "Emergency surgery (CABG)",
    ComplicationKind.perforation: "Coronary perforation",
    ComplicationKind.stroke: "Stroke",
    ComplicationKind.major_bleeding: "Major bleeding",
    ComplicationKind.death: "Death",
    ComplicationKind.other: "Other complication",
}


def _group_key(grouping: Grouping) -> sa.ColumnElement[Any] | None:
    c = schema.cases.c
    if grouping is Grouping.year:
        return sa.cast(sa.extract("year", c.procedure_date), sa.Integer).label("grp")
    if grouping is Grouping.operator:
        return c.operator.label("grp")
    if grouping is Grouping.access:
        return c.access.label("grp")
    return None


def registry_rates(
    registry: Registry, where: CaseFilter | None = None, by: Grouping = Grouping.none
) -> list[Rate]:
    """Every metric of the dashboard, per group, for the cases matching ``where``."""
    clauses = (where or CaseFilter()).where()
    key = _group_key(by)
    cases, comp = schema.cases, schema.complications
    cols: list[sa.ColumnElement[Any]] = [key] if key is not None else []
    group_by = [key] if key is not None else []
    loss, surgery = comp.alias("loss"), comp.alias("surgery")
    with registry.read() as conn:
        totals = {
            _g(row, key): int(row.n)
            for row in conn.execute(
                sa.select(*cols, sa.func.count().label("n"))
                .select_from(cases)
                .where(*clauses)
                .group_by(*group_by)
            )
        }
        kinds: dict[tuple[str | None, str], int] = {}
        for row in conn.execute(
            sa.select(*cols, comp.c.kind, sa.func.count(sa.distinct(comp.c.case_id)).label("n"))
            .select_from(comp.join(cases, cases.c.id == comp.c.case_id))
            .where(*clauses)
            .group_by(*group_by, comp.c.kind)
        ):
            kinds[(_g(row, key), row.kind)] = int(row.n)
        retrieval: dict[tuple[str | None, str], tuple[int, int]] = {}
        for row in conn.execute(
            sa.select(
                *cols,
                comp.c.technique,
                sa.func.sum(sa.case((comp.c.success.is_(True), 1), else_=0)).label("ok"),
                sa.func.count().label("n"),
            )
            .select_from(comp.join(cases, cases.c.id == comp.c.case_id))
            .where(
                *clauses,
                comp.c.kind == ComplicationKind.stent_loss.value,
                comp.c.technique.is_not(None),
            )
            .group_by(*group_by, comp.c.technique)
        ):
            retrieval[(_g(row, key), row.technique)] = (int(row.ok or 0), int(row.n))
        after_loss = {
            _g(row, key): int(row.n)
            for row in conn.execute(
                sa.select(*cols, sa.func.count(sa.distinct(loss.c.case_id)).label("n"))
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
                .group_by(*group_by)
            )
        }
    return _assemble(totals, kinds, retrieval, after_loss)


def _g(row: Any, key: sa.ColumnElement[Any] | None) -> str | None:
    return None if key is None else str(row.grp)


def _assemble(
    totals: dict[str | None, int],
    kinds: dict[tuple[str | None, str], int],
    retrieval: dict[tuple[str | None, str], tuple[int, int]],
    after_loss: dict[str | None, int],
) -> list[Rate]:
    rates: list[Rate] = []
    for group in sorted(totals, key=lambda g: (g is None, g or "")):
        total = totals[group]
        rates.extend(
            Rate(kind.value, _LABELS[kind], group, kinds.get((group, kind.value), 0), total)
            for kind in ComplicationKind
        )
        ok_all = sum(ok for (g, _t), (ok, _n) in retrieval.items() if g == group)
        n_all = sum(n for (g, _t), (_ok, n) in retrieval.items() if g == group)
        rates.append(
            Rate("retrieval_success", "Retrieval success after stent loss", group, ok_all, n_all)
        )
        for technique in RetrievalTechnique:
            ok, n = retrieval.get((group, technique.value), (0, 0))
            if n:
                rates.append(
                    Rate(
                        f"retrieval_success.{technique.value}",
                        f"Retrieval success, {technique.value.replace('_', ' ')}",
                        group,
                        ok,
                        n,
                    )
                )
        rates.append(
            Rate(
                "emergency_surgery_after_stent_loss",
                "Emergency surgery after stent loss",
                group,
                after_loss.get(group, 0),
                kinds.get((group, ComplicationKind.stent_loss.value), 0),
            )
        )
    return rates


def compare(rates: list[Rate]) -> list[Comparison]:
    """Each rate with the published figures for its metric (none when there are none)."""
    literature = load_literature()
    return [
        Comparison(rate, list(literature[rate.metric].figures) if rate.metric in literature else [])
        for rate in rates
    ]
