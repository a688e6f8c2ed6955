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
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.literature import load_demo_parameters
from stentguide.errors import InputError
from stentguide.progress import Progress

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["MAX_DEMO_CASES", "SYNTHETIC_OUTCOME", "demo_cases", "holds_real_data"]

MAX_DEMO_CASES = 5_000_000
SYNTHETIC_OUTCOME = "synthetic"
"""The ``outcome`` every demonstration case carries, so that it is never taken for real."""
_DEVICES = {"guide": "6F guiding catheter", "stent": "drug-eluting stent"}


def demo_cases(
    count: int, *, seed: int = 0, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """``count`` synthetic cases as dicts ready for :meth:`CaseStore.add_many`.

    ``progress`` hears ``(cases made, count)`` now and then.
    """
    if not isinstance(count, int) or not 1 <= count <= MAX_DEMO_CASES:
        raise InputError("bad demo size", {"count": f"must be 1 to {MAX_DEMO_CASES:,}"})
    params = load_demo_parameters()
    clinical, synthetic = params.clinical, params.synthetic
    rng = np.random.default_rng(seed)
    first = dt.date(synthetic.first_year, 1, 1)
    span = (dt.date(synthetic.last_year, 12, 31) - first).days + 1
    days = rng.integers(0, span, count)
    operators = rng.integers(1, synthetic.operators + 1, count)
    radial = rng.random(count) < synthetic.radial_share
    vessels = rng.integers(0, len(synthetic.vessels), count)
    uids = rng.bytes(16 * count).hex()

    def draw(probability: float) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return rng.random(count) < probability

    lost = draw(clinical.stent_loss.probability)
    attempted = lost & draw(clinical.retrieval_attempted_after_loss.probability)
    retrieved = draw(clinical.retrieval_success.probability)
    shares = clinical.retrieval_technique_shares.shares
    techniques = list(shares)
    technique = rng.choice(len(techniques), size=count, p=[shares[t] for t in techniques])
    surgery = np.where(
        lost,
        draw(clinical.emergency_surgery_after_stent_loss.probability),
        draw(clinical.emergency_surgery_without_stent_loss.probability),
    )
    other_kinds = {
        "delivery_failure": draw(clinical.delivery_failure.probability),
        "perforation": draw(clinical.perforation.probability),
        "stroke": draw(clinical.stroke.probability),
    }
    any_complication = lost | surgery
    for flags in other_kinds.values():
        any_complication |= flags
    cases: list[dict[str, Any]] = []
    for i in range(count):
        if progress is not None and i % 5_000 == 0:
            progress(i, count)
        complications: list[dict[str, Any]] = []
        if any_complication[i]:
            if lost[i]:
                loss: dict[str, Any] = {"kind": "stent_loss"}
                if attempted[i]:
                    loss["technique"] = techniques[technique[i]]
                    loss["success"] = bool(retrieved[i])
                complications.append(loss)
            complications.extend({"kind": kind} for kind, flags in other_kinds.items() if flags[i])
            if surgery[i]:
                complications.append({"kind": "emergency_surgery"})
        cases.append(
            {
                "uid": uids[32 * i : 32 * i + 32],
                "patient_id": f"DEMO-{i + 1:07d}",
                "procedure_date": first + dt.timedelta(days=int(days[i])),
                "operator": f"operator-{int(operators[i])}",
                "access": "radial" if radial[i] else "femoral",
                "lesions": [{"vessel": synthetic.vessels[int(vessels[i])]}],
                "devices": dict(_DEVICES),
                "outcome": SYNTHETIC_OUTCOME,
                "complications": complications,
            }
        )
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
