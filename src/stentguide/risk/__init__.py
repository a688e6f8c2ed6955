"""Published PCI risk scores: one case or a whole registry, through one engine.

Each score is declared once as data in ``knowledge/scores/<name>.yaml`` (typed
inputs with units and allowed ranges, points rules or an equation, categories with
their published outcome figures, and sources) and evaluated by one vectorised code
path over NumPy arrays: a single case runs as arrays of length 1, a batch as the
columns of a Polars frame. Bad input is never defaulted: every missing, ill-typed
or out-of-range field is reported at once (by row number in a batch).

Shipped: J-CTO, PROGRESS-CTO (technical success, complications, MACE), DAPT score,
PRECISE-DAPT (nomogram end points with a labelled linear reconstruction), ARC-HBR,
Mehran contrast nephropathy, and Cockcroft-Gault creatinine clearance. RECHARGE and
the CL-score are listed as withheld until their primary definitions are confirmed.

Examples
--------
>>> from stentguide import risk
>>> r = risk.score("j-cto", {"blunt_stump": True, "calcification": False,
...     "bending_over_45_degrees": False, "occlusion_length_mm": 20, "retry_lesion": False})
>>> r.points, r.category
(2, 'difficult')
"""

from __future__ import annotations

from stentguide.risk._api import (
    input_schema,
    list_scores,
    score,
    score_frame,
    score_frame_with_rejects,
    validate_frame,
)
from stentguide.risk._catalog import get_spec
from stentguide.risk._files import FileReport, score_file
from stentguide.risk._model import ScoreSpec
from stentguide.risk._result import Component, ScoreInfo, ScoreResult

__all__ = [
    "Component",
    "FileReport",
    "ScoreInfo",
    "ScoreResult",
    "ScoreSpec",
    "get_spec",
    "input_schema",
    "list_scores",
    "score",
    "score_file",
    "score_frame",
    "score_frame_with_rejects",
    "validate_frame",
]
