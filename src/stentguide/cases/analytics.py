"""Complication rates of a registry with 95% intervals, beside the literature.

A rate is events over cases (or over retrieval attempts for retrieval success).
Two intervals are offered (:class:`IntervalMethod`):

- ``wilson`` (the default): the Wilson score interval, which stays inside 0-100%
  and behaves at the small counts a single cath lab sees (Wilson EB, J Am Stat
  Assoc 1927;22:209-212; recommended over the Wald interval by Brown, Cai and
  DasGupta, Stat Sci 2001;16:101-133).
- ``exact``: the Clopper-Pearson interval from the beta distribution (Clopper CJ,
  Pearson ES, Biometrika 1934;26:404-413), never narrower than its nominal 95%
  coverage and the one most published series quote (the Mayo series' 0.23-0.44%
  for 38 of 11,773 is this one; Wilson gives 0.24-0.44%).

The counts come from :func:`~stentguide.cases.counts.registry_counts`: a few SQL
aggregates per (year, operator, access) over an index, summed here into each
breakdown, so the dashboard stays quick on a million cases.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stentguide.cases.cells import Cell, RegistryCounts
from stentguide.cases.literature import LiteratureFigure, load_literature
from stentguide.cases.vocabulary import ComplicationKind, RetrievalTechnique
from stentguide.errors import InputError

if TYPE_CHECKING:
    from stentguide.cases.filters import CaseFilter
    from stentguide.cases.registry import Registry

__all__ = [
    "Comparison",
    "Grouping",
    "IntervalMethod",
    "Rate",
    "clopper_pearson_interval",
    "compare",
    "interval",
    "rates_from_counts",
    "registry_rates",
    "wilson_interval",
]

Z95 = 1.959963984540054


def _check_counts(events: int, total: int) -> None:
    if total <= 0:
        raise InputError("no denominator", {"total": "must be at least 1"})
    if not 0 <= events <= total:
        raise InputError("impossible count", {"events": f"{events} is not within 0..{total}"})


def wilson_interval(events: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``events`` out of ``total`` (proportions, not percent)."""
    _check_counts(events, total)
    p = events / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    low = 0.0 if events == 0 else max(0.0, centre - half)
    high = 1.0 if events == total else min(1.0, centre + half)
    return low, high


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _beta_cdf(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def _beta_quantile(q: float, a: float, b: float) -> float:
    low, high = 0.0, 1.0
    for _ in range(100):
        mid = (low + high) / 2
        if _beta_cdf(a, b, mid) < q:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def clopper_pearson_interval(events: int, total: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for ``events`` out of ``total`` (proportions)."""
    _check_counts(events, total)
    low = 0.0 if events == 0 else _beta_quantile(alpha / 2, events, total - events + 1)
    high = 1.0 if events == total else _beta_quantile(1 - alpha / 2, events + 1, total - events)
    return low, high


class IntervalMethod(enum.StrEnum):
    """Which 95% interval a rate carries."""

    wilson = "wilson"
    exact = "exact"

    @property
    def label(self) -> str:
        return "Wilson" if self is IntervalMethod.wilson else "exact Clopper-Pearson"


def interval(
    events: int, total: int, method: IntervalMethod = IntervalMethod.wilson
) -> tuple[float, float]:
    """The 95% interval of ``events`` out of ``total`` by ``method`` (proportions)."""
    if method is IntervalMethod.exact:
        return clopper_pearson_interval(events, total)
    return wilson_interval(events, total)


class Grouping(enum.StrEnum):
    """How rates are broken down."""

    none = "none"
    year = "year"
    operator = "operator"
    access = "access"


@dataclass(frozen=True)
class Rate:
    """Events out of a total, in one group, with its 95% interval (Wilson unless told)."""

    metric: str
    label: str
    group: str | None
    events: int
    total: int
    method: IntervalMethod = IntervalMethod.wilson

    @property
    def percent(self) -> float | None:
        return 100 * self.events / self.total if self.total else None

    @property
    def ci_percent(self) -> tuple[float, float] | None:
        if not self.total:
            return None
        low, high = interval(self.events, self.total, self.method)
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


def _grouper(grouping: Grouping) -> Callable[[Cell], str | None]:
    if grouping is Grouping.year:
        return lambda cell: str(cell[0])
    if grouping is Grouping.operator:
        return lambda cell: cell[1]
    if grouping is Grouping.access:
        return lambda cell: cell[2]
    return lambda cell: None


def registry_rates(
    registry: Registry,
    where: CaseFilter | None = None,
    by: Grouping = Grouping.none,
    method: IntervalMethod = IntervalMethod.wilson,
    *,
    counts: RegistryCounts | None = None,
) -> list[Rate]:
    """Every metric of the dashboard, per group, for the cases matching ``where``.

    Each rate carries its 95% interval by ``method`` (Wilson, or exact Clopper-Pearson).
    ``counts``, the :func:`~stentguide.cases.counts.registry_counts` of the same search,
    lets several breakdowns share one count of the registry (``where`` is then unused).
    """
    if counts is None:
        from stentguide.cases.counts import registry_counts

        counts = registry_counts(registry, where)
    return rates_from_counts(counts, by, method)


def rates_from_counts(
    counts: RegistryCounts,
    by: Grouping = Grouping.none,
    method: IntervalMethod = IntervalMethod.wilson,
) -> list[Rate]:
    """The rates of :func:`registry_rates` summed from counts already at hand."""
    group = _grouper(by)
    totals: dict[str | None, int] = {None: 0} if by is Grouping.none else {}
    for cell, n in counts.cases.items():
        totals[group(cell)] = totals.get(group(cell), 0) + n
    kinds: dict[tuple[str | None, str], int] = {}
    for (cell, kind), n in counts.kinds.items():
        kinds[(group(cell), kind)] = kinds.get((group(cell), kind), 0) + n
    retrieval: dict[tuple[str | None, str], tuple[int, int]] = {}
    for (cell, technique), (ok, n) in counts.retrieval.items():
        ok_before, n_before = retrieval.get((group(cell), technique), (0, 0))
        retrieval[(group(cell), technique)] = (ok_before + ok, n_before + n)
    after_loss: dict[str | None, int] = {}
    for cell, n in counts.after_loss.items():
        after_loss[group(cell)] = after_loss.get(group(cell), 0) + n
    rates = _assemble(totals, kinds, retrieval, after_loss)
    if method is IntervalMethod.wilson:
        return rates
    return [dataclasses.replace(rate, method=method) for rate in rates]


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
