"""The counts behind the dashboard's rates, per cell, and how they are kept as text.

A cell is the finest group the dashboard counts: (procedure year, operator,
access). :class:`RegistryCounts` holds the counts of one search per cell;
:mod:`stentguide.cases.counts` counts them with SQL, :mod:`stentguide.cases.analytics`
sums them into rates. The database keeps the counts of recent searches as JSON
(``kept_counts``, migration 0007), keyed by :func:`search_key`, with the
registry's version they were counted at; :func:`kept_counts_query` reads them
back only while that version is current. Nothing here needs more than the
standard library, so that a command finding counts kept starts quickly
(:mod:`stentguide.cases.counts_kept`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stentguide.cases.filters import CaseFilter

__all__ = ["Cell", "RegistryCounts", "decoded", "encoded", "kept_counts_query", "search_key"]

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


def search_key(where: CaseFilter) -> str:
    """The search as text (JSON of its restrictions): the key of its kept counts."""
    fields = {k: str(v) for k, v in dataclasses.asdict(where).items() if v is not None}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encoded(counts: RegistryCounts) -> str:
    """``counts`` as compact JSON, one list per cell (see :func:`decoded`)."""
    return json.dumps(
        {
            "cases": [[*cell, n] for cell, n in counts.cases.items()],
            "kinds": [[*cell, kind, n] for (cell, kind), n in counts.kinds.items()],
            "retrieval": [
                [*cell, technique, ok, n] for (cell, technique), (ok, n) in counts.retrieval.items()
            ],
            "after_loss": [[*cell, n] for cell, n in counts.after_loss.items()],
            "synthetic": counts.synthetic,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decoded(text: str) -> RegistryCounts:
    """The counts :func:`encoded` wrote."""
    raw = json.loads(text)
    return RegistryCounts(
        cases={(y, o, a): n for y, o, a, n in raw["cases"]},
        kinds={((y, o, a), kind): n for y, o, a, kind, n in raw["kinds"]},
        retrieval={((y, o, a), t): (ok, n) for y, o, a, t, ok, n in raw["retrieval"]},
        after_loss={(y, o, a): n for y, o, a, n in raw["after_loss"]},
        synthetic=raw["synthetic"],
    )


def kept_counts_query(marker: str) -> str:
    """One row: the schema revision, the registry's version and the counts kept at it, if any.

    ``marker`` is how the driver marks the one parameter, the search key
    (``:search`` for SQLite and SQLAlchemy, ``%(search)s`` for psycopg).
    """
    return (
        "SELECT (SELECT version_num FROM alembic_version) AS revision, v.version, k.counts "
        "FROM registry_version v LEFT JOIN kept_counts k "
        f"ON k.search = {marker} AND k.version = v.version WHERE v.id = 1"
    )
