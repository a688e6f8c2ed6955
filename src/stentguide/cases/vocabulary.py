"""The registry's controlled vocabulary: access routes, vessels, complications, techniques.

Plain enumerations with no dependency, so that counting and searching the
registry need not build the validated case models of :mod:`stentguide.cases.model`
(which re-exports them). Complications are counted and set beside the published
figures (``knowledge/registry/literature.yaml``); retrieval techniques are grouped
as in the Mayo series (Brilakis 2005).
"""

from __future__ import annotations

import enum

__all__ = ["SYNTHETIC_OUTCOME", "Access", "ComplicationKind", "RetrievalTechnique", "Vessel"]

SYNTHETIC_OUTCOME = "synthetic"
"""The outcome every synthetic demonstration case carries (see :mod:`stentguide.cases.demo`)."""


class Access(enum.StrEnum):
    """Arterial access route."""

    radial = "radial"
    femoral = "femoral"
    brachial = "brachial"
    ulnar = "ulnar"
    other = "other"


class Vessel(enum.StrEnum):
    """Treated coronary vessel."""

    LM = "LM"
    LAD = "LAD"
    LCx = "LCx"
    RCA = "RCA"
    graft = "graft"
    other = "other"


class ComplicationKind(enum.StrEnum):
    """Complications the registry counts; each has a rate on the dashboard."""

    stent_loss = "stent_loss"
    delivery_failure = "delivery_failure"
    emergency_surgery = "emergency_surgery"
    perforation = "perforation"
    stroke = "stroke"
    major_bleeding = "major_bleeding"
    death = "death"
    other = "other"


class RetrievalTechnique(enum.StrEnum):
    """Retrieval techniques for a lost stent, as grouped in the Mayo series (Brilakis 2005)."""

    small_balloon = "small_balloon"
    snare = "snare"
    two_wire = "two_wire"
    forceps = "forceps"
    retriever = "retriever"
    basket = "basket"
    guide_extension = "guide_extension"
    other = "other"
