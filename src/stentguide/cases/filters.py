"""Which cases a query is about: :class:`CaseFilter`, turned into SQL conditions.

Kept apart from the case store so that counting the registry (``cases stats``,
the dashboard) does not import what adding cases needs; SQLAlchemy is imported
only when the search is turned into SQL, so that a search answered from kept
counts (:mod:`stentguide.cases.counts_kept`) does not load it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stentguide.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

__all__ = ["CaseFilter"]


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list, count or export; ``None`` means no restriction."""

    patient_id: str | None = None
    operator: str | None = None
    access: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    complication: str | None = None
    outcome: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The search as SQL conditions on ``cases`` (all of them must hold)."""
        import sqlalchemy as sa

        from stentguide.cases import schema

        c = schema.cases.c
        clauses: list[ColumnElement[bool]] = []
        if self.patient_id is not None:
            clauses.append(c.patient_id == self.patient_id)
        if self.operator is not None:
            clauses.append(c.operator == self.operator)
        if self.access is not None:
            clauses.append(c.access == self.access)
        if self.since is not None:
            clauses.append(c.procedure_date >= self.since)
        if self.until is not None:
            clauses.append(c.procedure_date <= self.until)
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InputError("empty period", {"since": f"{self.since} is after until {self.until}"})
        if self.complication is not None:
            comp = schema.complications.c
            # correlated to the case alone, also inside a query over complications
            clauses.append(
                sa.exists()
                .where(comp.case_id == c.id, comp.kind == self.complication)
                .correlate(schema.cases)
            )
        if self.outcome is not None:
            clauses.append(c.outcome == self.outcome)
        return clauses
