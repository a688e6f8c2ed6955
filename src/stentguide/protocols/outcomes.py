"""How a pathway ends and how strong the evidence behind a step is: the graded words.

:class:`OutcomeCategory` is what the registry counts; :class:`OutcomeGroup` is what an
ending means at the table (only ``resolved`` is a success); :class:`EvidenceGrade` is a
reviewing clinician's grade of a step.
"""

from __future__ import annotations

import enum

__all__ = ["EvidenceGrade", "OutcomeCategory", "OutcomeGroup", "check_continue_with"]


class OutcomeCategory(str, enum.Enum):
    """How a pathway ended; the registry counts outcomes by these categories."""

    retrieved = "retrieved"
    removed_en_bloc = "removed-en-bloc"
    deployed_in_situ = "deployed-in-situ"
    crushed = "crushed"
    left_in_place = "left-in-place"
    surgical_referral = "surgical-referral"
    stent_delivered = "stent-delivered"
    staged_reattempt = "staged-reattempt"
    procedure_stopped = "procedure-stopped"
    bailout = "bailout"
    specialist_referral = "specialist-referral"
    sealed = "sealed"
    changed_pathway = "changed-pathway"

    @property
    def group(self) -> OutcomeGroup:
        """What the ending means at the table: resolved, changed pathway, emergency, ..."""
        return _OUTCOME_GROUPS[self]


class OutcomeGroup(str, enum.Enum):
    """The clinical meaning of an outcome, which the faces show by colour and word.

    Only ``resolved`` is a success; a changed pathway is not one (the problem goes
    on under another pathway), and an emergency (surgery, bail-out) never looks like one.
    """

    resolved = "resolved"
    changed_pathway = "changed-pathway"
    emergency = "emergency"
    referral = "referral"
    stopped = "stopped"

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    OutcomeGroup.resolved: "Resolved",
    OutcomeGroup.changed_pathway: "Changed pathway: not resolved yet",
    OutcomeGroup.emergency: "Emergency: referral to surgery or bail-out",
    OutcomeGroup.referral: "Referral to a specialist",
    OutcomeGroup.stopped: "Stopped or left in place",
}

_OUTCOME_GROUPS = {
    OutcomeCategory.retrieved: OutcomeGroup.resolved,
    OutcomeCategory.removed_en_bloc: OutcomeGroup.resolved,
    OutcomeCategory.deployed_in_situ: OutcomeGroup.resolved,
    OutcomeCategory.crushed: OutcomeGroup.resolved,
    OutcomeCategory.stent_delivered: OutcomeGroup.resolved,
    OutcomeCategory.sealed: OutcomeGroup.resolved,
    OutcomeCategory.left_in_place: OutcomeGroup.stopped,
    OutcomeCategory.staged_reattempt: OutcomeGroup.stopped,
    OutcomeCategory.procedure_stopped: OutcomeGroup.stopped,
    OutcomeCategory.surgical_referral: OutcomeGroup.emergency,
    OutcomeCategory.bailout: OutcomeGroup.emergency,
    OutcomeCategory.specialist_referral: OutcomeGroup.referral,
    OutcomeCategory.changed_pathway: OutcomeGroup.changed_pathway,
}


class EvidenceGrade(str, enum.Enum):
    """The strongest kind of evidence behind a step, as a reviewing clinician grades it.

    From strongest to weakest: a graded society or journal recommendation (class and
    level of evidence), a meta-analysis, a systematic review, a registry or large
    series, a small case series, a case report, expert opinion (reviews, teaching
    pages, manuals). ``None`` on a node means the pathway does not grade its steps.
    """

    graded_recommendation = "graded-recommendation"
    meta_analysis = "meta-analysis"
    systematic_review = "systematic-review"
    registry = "registry"
    case_series = "case-series"
    case_report = "case-report"
    expert_opinion = "expert-opinion"


def check_continue_with(category: OutcomeCategory, continue_with: str | None, field: str) -> None:
    """Refuse a ``continue_with`` without a changed pathway, or a changed pathway without one.

    Raises :class:`ValueError` (a validation error of the model that calls it); ``field``
    is the model's name for the category.
    """
    if (category is OutcomeCategory.changed_pathway) != (continue_with is not None):
        raise ValueError(f"`continue_with` goes with, and only with, {field} changed-pathway")
