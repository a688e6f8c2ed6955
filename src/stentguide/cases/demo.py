"""A synthetic registry for demonstrations, teaching and benchmarks.

The cases are invented: every one has ``outcome: "synthetic"`` and a patient id
starting ``DEMO-``. Their complication rates are drawn from published figures
(``knowledge/registry/demo.yaml``: stent loss 0.32% and retrieval success 30/35
from the Mayo series, delivery failure 4.3% from Nikolsky 2003, perforation
0.39% from COPIT, stroke 0.22% from NCDR), so that the dashboard of a demo
registry shows what a real one would look like beside the literature. Operators,
dates, access mix and vessels are arbitrary settings, marked as such in the
data file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.literature import load_demo_parameters
from stentguide.cases.vocabulary import SYNTHETIC_OUTCOME
from stentguide.errors import InputError
from stentguide.progress import Progress

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = [
    "MAX_DEMO_CASES",
    "SYNTHETIC_OUTCOME",
    "DemoCases",
    "demo_cases",
    "demo_stream",
    "holds_real_data",
]

MAX_DEMO_CASES = 5_000_000
"""The ``outcome`` every demonstration case carries, so that it is never taken for real."""
_DEVICES = {"guide": "6F guiding catheter", "stent": "drug-eluting stent"}


class DemoCases:
    """``count`` synthetic cases, made one at a time as they are read (see :func:`demo_stream`).

    Every random value is drawn when this is made (a few arrays of ``count``
    numbers); a case's dict is built only when the iteration reaches it, so a
    million cases are never in memory together. Its length is known, so a
    progress display can show the total.
    """

    def __init__(self, count: int, *, seed: int = 0) -> None:
        if not isinstance(count, int) or not 1 <= count <= MAX_DEMO_CASES:
            raise InputError("bad demo size", {"count": f"must be 1 to {MAX_DEMO_CASES:,}"})
        self.count = count
        params = load_demo_parameters()
        clinical, synthetic = params.clinical, params.synthetic
        rng = np.random.default_rng(seed)
        self._first = dt.date(synthetic.first_year, 1, 1)
        span = (dt.date(synthetic.last_year, 12, 31) - self._first).days + 1
        self._vessel_names = list(synthetic.vessels)
        self._days = rng.integers(0, span, count)
        self._operators = rng.integers(1, synthetic.operators + 1, count)
        self._radial = rng.random(count) < synthetic.radial_share
        self._vessels = rng.integers(0, len(synthetic.vessels), count)
        self._uids = rng.bytes(16 * count).hex()

        def draw(probability: float) -> np.ndarray[Any, np.dtype[np.bool_]]:
            return rng.random(count) < probability

        self._lost = draw(clinical.stent_loss.probability)
        self._attempted = self._lost & draw(clinical.retrieval_attempted_after_loss.probability)
        self._retrieved = draw(clinical.retrieval_success.probability)
        shares = clinical.retrieval_technique_shares.shares
        self._techniques = list(shares)
        self._technique = rng.choice(
            len(self._techniques), size=count, p=[shares[t] for t in self._techniques]
        )
        self._surgery = np.where(
            self._lost,
            draw(clinical.emergency_surgery_after_stent_loss.probability),
            draw(clinical.emergency_surgery_without_stent_loss.probability),
        )
        self._other_kinds = {
            "delivery_failure": draw(clinical.delivery_failure.probability),
            "perforation": draw(clinical.perforation.probability),
            "stroke": draw(clinical.stroke.probability),
        }
        self._any_complication = self._lost | self._surgery
        for flags in self._other_kinds.values():
            self._any_complication |= flags

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.count):
            yield self._case(i)

    def _case(self, i: int) -> dict[str, Any]:
        complications: list[dict[str, Any]] = []
        if self._any_complication[i]:
            if self._lost[i]:
                loss: dict[str, Any] = {"kind": "stent_loss"}
                if self._attempted[i]:
                    loss["technique"] = self._techniques[self._technique[i]]
                    loss["success"] = bool(self._retrieved[i])
                complications.append(loss)
            complications.extend(
                {"kind": kind} for kind, flags in self._other_kinds.items() if flags[i]
            )
            if self._surgery[i]:
                complications.append({"kind": "emergency_surgery"})
        return {
            "uid": self._uids[32 * i : 32 * i + 32],
            "patient_id": f"DEMO-{i + 1:07d}",
            "procedure_date": self._first + dt.timedelta(days=int(self._days[i])),
            "operator": f"operator-{int(self._operators[i])}",
            "access": "radial" if self._radial[i] else "femoral",
            "lesions": [{"vessel": self._vessel_names[int(self._vessels[i])]}],
            "devices": dict(_DEVICES),
            "outcome": SYNTHETIC_OUTCOME,
            "complications": complications,
        }


def demo_stream(count: int, *, seed: int = 0) -> DemoCases:
    """``count`` synthetic cases to pass to :meth:`CaseStore.add_many` as a stream.

    The same cases, in the same order, as :func:`demo_cases` with the same seed.
    """
    return DemoCases(count, seed=seed)


def demo_cases(
    count: int, *, seed: int = 0, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """``count`` synthetic cases as dicts ready for :meth:`CaseStore.add_many`.

    ``progress`` hears ``(cases made, count)`` now and then. For many cases,
    :func:`demo_stream` makes them as they are saved instead of all at once.
    """
    stream = demo_stream(count, seed=seed)
    cases: list[dict[str, Any]] = []
    for i, case in enumerate(stream):
        if progress is not None and i % 5_000 == 0:
            progress(i, count)
        cases.append(case)
    if progress is not None:
        progress(count, count)
    return cases


def holds_real_data(registry: Registry, *, demo_user: str) -> bool:
    """Whether the registry holds any case that is not synthetic, or any user but ``demo_user``.

    A demonstration account (which shows its password) is made only on a
    database for which this is false.
    """
    real_case = sa.select(schema.cases.c.id).where(
        sa.or_(schema.cases.c.outcome.is_(None), schema.cases.c.outcome != SYNTHETIC_OUTCOME)
    )
    other_user = sa.select(schema.users.c.id).where(schema.users.c.username != demo_user)
    with registry.read() as conn:
        return (
            conn.execute(real_case.limit(1)).first() is not None
            or conn.execute(other_user.limit(1)).first() is not None
        )
