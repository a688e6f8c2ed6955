"""Published PCI risk scores: one case or a whole registry, through one engine.

Each score is declared once as data in ``knowledge/scores/<name>.yaml`` (typed
inputs with units and allowed ranges, points rules or an equation, categories with
their published outcome figures, and sources) and evaluated by one vectorised code
path over NumPy arrays: a single case runs as arrays of length 1, a batch as the
columns of a Polars frame. Bad input is never defaulted: every missing, ill-typed
or out-of-range field is reported at once (by row number in a batch).

Shipped: J-CTO, PROGRESS-CTO (technical success, complications, MACE, perforation),
DAPT score, PRECISE-DAPT (nomogram end points with a labelled linear reconstruction),
ARC-HBR, Mehran contrast nephropathy, Cockcroft-Gault creatinine clearance, eGFR
(CKD-EPI 2021, race-free), the Cigarroa contrast limit and the contrast volume to
creatinine clearance ratio. A missing creatinine clearance or eGFR is computed from
its equation's inputs when they are given; creatinine and haemoglobin may be given
in µmol/L, g/L or mmol/L (``serum_creatinine_umol_l``, ...). RECHARGE and
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

from stentguide.risk._api import answer_points, input_schema, list_scores, provisional_points, score
from stentguide.risk._batch import score_frame, score_frame_with_rejects, validate_frame
from stentguide.risk._catalog import get_spec
from stentguide.risk._contrast import ContrastCheck, contrast_check
from stentguide.risk._files import FileReport, score_file
from stentguide.risk._model import ScoreSpec
from stentguide.risk._panel import PanelEntry, PanelSpec, get_panel, panel_fields, score_panel
from stentguide.risk._requests import request_model
from stentguide.risk._result import Component, ScoreInfo, ScoreResult
from stentguide.risk._units import UnitOption, to_canonical, unit_options

__all__ = [
    "Component",
    "ContrastCheck",
    "FileReport",
    "PanelEntry",
    "PanelSpec",
    "ScoreInfo",
    "ScoreResult",
    "ScoreSpec",
    "UnitOption",
    "answer_points",
    "contrast_check",
    "get_panel",
    "get_spec",
    "input_schema",
    "list_scores",
    "panel_fields",
    "provisional_points",
    "request_model",
    "score",
    "score_file",
    "score_frame",
    "score_frame_with_rejects",
    "score_panel",
    "to_canonical",
    "unit_options",
    "validate_frame",
]
