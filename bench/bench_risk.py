"""Risk scores: a million-row batch against a per-row Python loop, and one case.

1. ``score_frame`` on 1,000,000 synthetic J-CTO and Mehran rows (validation
   included) against two per-row loops over the same rows: a hand-written Python
   function that checks and scores each row as it iterates the frame, and a loop
   calling the package's own single-case ``score``. The loops are timed on the first
   50,000 (hand-written) or 2,000 (``score``) rows; all are rates (rows/s), so the
   ratio does not depend on the subset size.
2. ``score`` for one case (arrays of length 1, no DataFrame) against scoring that
   case through a one-row Polars frame.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from bench._common import Result, rate
from stentguide.risk import score, score_frame

ROWS = 1_000_000
LOOP_ROWS = 50_000
SCORE_LOOP_ROWS = 2_000


def _jcto_frame(rows: int, rng: np.random.Generator) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "blunt_stump": rng.random(rows) < 0.5,
            "calcification": rng.random(rows) < 0.5,
            "bending_over_45_degrees": rng.random(rows) < 0.3,
            "occlusion_length_mm": np.round(rng.uniform(2, 60, rows), 1),
            "retry_lesion": rng.random(rows) < 0.2,
        }
    )


def _mehran_frame(rows: int, rng: np.random.Generator) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "hypotension": rng.random(rows) < 0.05,
            "iabp": rng.random(rows) < 0.05,
            "chf": rng.random(rows) < 0.2,
            "age_years": np.round(rng.uniform(30, 95, rows), 0),
            "sex": rng.choice(["male", "female"], rows),
            "haematocrit_percent": np.round(rng.normal(40, 5, rows).clip(20, 60), 1),
            "diabetes": rng.random(rows) < 0.3,
            "contrast_volume_ml": np.round(rng.uniform(30, 500, rows), 0),
            "egfr_ml_min_1_73m2": np.round(rng.uniform(10, 120, rows), 0),
        }
    )


def _checked(value: Any, lo: float, hi: float) -> float:
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError("bad number")
    if not lo <= value <= hi:
        raise ValueError("out of range")
    return float(value)


def _flag(value: Any) -> int:
    if not isinstance(value, bool):
        raise ValueError("bad flag")
    return int(value)


def _jcto_loop(frame: pl.DataFrame) -> int:
    groups = ("easy", "intermediate", "difficult", "very difficult")
    out = []
    for r in frame.iter_rows(named=True):
        total = (
            _flag(r["blunt_stump"])
            + _flag(r["calcification"])
            + _flag(r["bending_over_45_degrees"])
            + (_checked(r["occlusion_length_mm"], 0, 300) >= 20)
            + _flag(r["retry_lesion"])
        )
        out.append((total, groups[min(total, 3)]))
    return len(out)


def _mehran_loop(frame: pl.DataFrame) -> int:
    out = []
    for r in frame.iter_rows(named=True):
        age = _checked(r["age_years"], 18, 120)
        hct = _checked(r["haematocrit_percent"], 5, 75)
        egfr = _checked(r["egfr_ml_min_1_73m2"], 0, 200)
        contrast = _checked(r["contrast_volume_ml"], 0, 2000)
        if r["sex"] not in ("male", "female"):
            raise ValueError("bad sex")
        total = 5 * (_flag(r["hypotension"]) + _flag(r["iabp"]) + _flag(r["chf"]))
        total += 4 * (age > 75) + 3 * _flag(r["diabetes"])
        total += 3 * (hct < (39 if r["sex"] == "male" else 36))
        total += math.floor(contrast / 100)
        total += 6 if egfr < 20 else 4 if egfr < 40 else 2 if egfr < 60 else 0
        group = (
            "low"
            if total <= 5
            else "moderate"
            if total <= 10
            else "high"
            if total <= 15
            else "very high"
        )
        out.append((total, group))
    return len(out)


def _score_each(name: str, frame: pl.DataFrame) -> int:
    return len([score(name, row) for row in frame.iter_rows(named=True)])


def _batch(name: str, frame: pl.DataFrame, loop: Any) -> list[Result]:
    subset = frame.slice(0, LOOP_ROWS)
    few = frame.slice(0, SCORE_LOOP_ROWS)
    subject = rate(lambda: score_frame(name, frame).height, min_seconds=1.0, repeat=2)
    hand = rate(lambda: loop(subset), min_seconds=1.0, repeat=2)
    each = rate(lambda: _score_each(name, few), min_seconds=1.0, repeat=1)
    scored = score_frame(name, frame)
    added = (scored.estimated_size() - frame.estimated_size()) / 1e6
    memory = (
        f"output adds {added:.0f} MB of result columns to a "
        f"{frame.estimated_size() / 1e6:.0f} MB input whose buffers it shares"
    )
    title = f"risk: {name} batch, {ROWS:,} rows"
    return [
        Result(
            name=title,
            unit="rows/s",
            subject=subject,
            baseline=hand,
            baseline_name=f"hand-written per-row loop (timed on {LOOP_ROWS:,} rows)",
            note=memory,
        ),
        Result(
            name=title,
            unit="rows/s",
            subject=subject,
            baseline=each,
            baseline_name=f"per-row loop over score() (timed on {SCORE_LOOP_ROWS:,} rows)",
        ),
    ]


def run() -> list[Result]:
    rng = np.random.default_rng(20240601)
    results = [
        *_batch("j-cto", _jcto_frame(ROWS, rng), _jcto_loop),
        *_batch("mehran", _mehran_frame(ROWS, rng), _mehran_loop),
    ]
    case = _jcto_frame(1, rng).to_dicts()[0]
    one_row = pl.DataFrame([case])
    single = rate(lambda: (score("j-cto", case), 1)[1], min_seconds=0.5)
    via_frame = rate(lambda: score_frame("j-cto", one_row).height, min_seconds=0.5)
    results.append(
        Result(
            name="risk: j-cto one case",
            unit="cases/s",
            subject=single,
            baseline=via_frame,
            baseline_name="the same case through a one-row frame",
            note="single case includes the full explained result (components, citations)",
        )
    )
    return results
