"""The antiplatelet schedule: which medicine, for how long, until which date.

After a stent, aspirin is taken for life and a second, stronger antiplatelet
medicine for 1 month to 1 year (patient page JAKAMY-PCI; ESC 2023 ACS guideline
ESC23-ACS). The leaflet prints the actual date to stop the second medicine, so
the arithmetic lives here, tested across month and year ends.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from stentguide.leaflets.plan import LeafletPlan

__all__ = ["MedicineCourse", "add_months", "antiplatelet_schedule"]


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus ``months`` calendar months, kept inside the target month.

    A day that does not exist in the target month falls back to that month's
    last day: 31 January + 1 month is 28 February (29 in a leap year), which is
    how a prescription written "for one month" is read; it never spills into
    March.
    """
    if months < 0:
        raise ValueError("months must not be negative")
    index = start.month - 1 + months
    year = start.year + index // 12
    month = index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


@dataclass(frozen=True)
class MedicineCourse:
    """One antiplatelet medicine: its name key, duration and stop date.

    ``months`` and ``stop_date`` are ``None`` for aspirin, which is not stopped.
    """

    medicine: str
    months: int | None
    stop_date: dt.date | None

    @property
    def lifelong(self) -> bool:
        return self.stop_date is None


def antiplatelet_schedule(plan: LeafletPlan) -> tuple[MedicineCourse, MedicineCourse]:
    """Aspirin for life, then the second medicine until ``procedure + months``."""
    second = plan.second_antiplatelet.value
    stop = add_months(plan.procedure_date, plan.antiplatelet_months)
    return (
        MedicineCourse("aspirin", None, None),
        MedicineCourse(second, plan.antiplatelet_months, stop),
    )
