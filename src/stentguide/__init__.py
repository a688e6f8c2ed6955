"""stentguide: coronary stenting pathways, devices, risk scores, leaflets and registry.

A teaching and decision-support aid, not a substitute for clinical judgement.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["DISCLAIMER", "__version__"]

DISCLAIMER = (
    "stentguide is a teaching and decision-support aid, not a substitute for clinical judgement."
)
