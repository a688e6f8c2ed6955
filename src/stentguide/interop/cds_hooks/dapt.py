"""``stentguide-dapt-duration`` (hook ``order-sign``): the DAPT scores and duration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stentguide.interop.cds_hooks.cards import (
    duration_card,
    missing_card,
    problems_card,
    result_card,
)
from stentguide.interop.cds_hooks.data import DAPT_SCORES, LOINC, SCORE_INPUT_SYSTEM, cds_data
from stentguide.interop.cds_hooks.inputs import read_inputs
from stentguide.interop.cds_hooks.models import Card, CdsRequest, CdsResponse, ServiceDescription
from stentguide.interop.cds_hooks.prefetch import Prefetch, bundle_resources, coding_pairs
from stentguide.interop.cds_hooks.scoring import score_all

__all__ = ["description", "run"]


def _p2y12_orders(context: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    bundle = context.get("draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return [], "context.draftOrders is missing or not a Bundle"
    medicines = cds_data().p2y12_inhibitors.medicines
    codes = {(c.system, c.code) for m in medicines for c in m.codes}
    names = [m.name for m in medicines]
    found = []
    for resource in bundle_resources(bundle):
        if resource.get("resourceType") != "MedicationRequest":
            continue
        concept = resource.get("medicationCodeableConcept")
        coded = set(coding_pairs(concept)) & codes
        texts = [str(concept.get("text", ""))] if isinstance(concept, dict) else []
        codings = concept.get("coding") if isinstance(concept, dict) else None
        texts += [
            str(c.get("display", ""))
            for c in (codings if isinstance(codings, list) else [])
            if isinstance(c, dict)
        ]
        named = any(n in t.lower() for t in texts for n in names)
        if coded or named:
            found.append(resource)
    return found, None


def _had_pci(prefetch: Prefetch) -> bool | None:
    """True/False when the procedures were read, None when they could not be."""
    available, value = prefetch.get("pci")
    if not available:
        return None
    codes = {(c.system, c.code) for c in cds_data().pci_procedure.codes}
    procedures = bundle_resources(value) if isinstance(value, dict) else []
    return any(
        p.get("resourceType") == "Procedure"
        and p.get("status") not in ("entered-in-error", "not-done")
        and set(coding_pairs(p.get("code"))) & codes
        for p in procedures
    )


def run(request: CdsRequest, prefetch: Prefetch, _base_url: str) -> CdsResponse:
    """Cards for a draft P2Y12 inhibitor order; none when there is none or no PCI."""
    orders, problem = _p2y12_orders(request.context)
    if problem:
        return CdsResponse(cards=[problems_card({"context.draftOrders": problem})])
    if not orders:
        return CdsResponse(cards=[])
    pci = _had_pci(prefetch)
    if pci is False:
        return CdsResponse(cards=[])
    today = dt.datetime.now(dt.UTC).date()
    inputs = read_inputs(prefetch, today)
    scored = score_all(inputs)
    patient_id = request.context.get("patientId")
    patient_ref = f"Patient/{patient_id}" if isinstance(patient_id, str) and patient_id else None
    cards: list[Card] = []
    for name in DAPT_SCORES:
        if name in scored.results:
            cards.append(result_card(scored.results[name], inputs, patient_ref or "Patient"))
        else:
            cards.append(missing_card(name, scored.missing[name]))
    duration = duration_card(scored, orders, today)
    if duration is not None:
        cards.insert(0, duration)
    if prefetch.problems:
        cards.append(problems_card(prefetch.problems))
    return CdsResponse(cards=cards)


def _prefetch_templates() -> dict[str, str]:
    labs = ",".join(
        f"{LOINC}|{code}" for spec in cds_data().observations.inputs.values() for code in spec.codes
    )
    pci = ",".join(f"{c.system}|{c.code}" for c in cds_data().pci_procedure.codes)
    return {
        "patient": "Patient/{{context.patientId}}",
        "pci": f"Procedure?patient={{{{context.patientId}}}}&code={pci}",
        "labs": f"Observation?patient={{{{context.patientId}}}}&code={labs}&_sort=-date",
        "answers": f"Observation?patient={{{{context.patientId}}}}&code={SCORE_INPUT_SYSTEM}|",
    }


def description() -> ServiceDescription:
    """The service as discovery lists it, with its prefetch templates."""
    return ServiceDescription(
        hook="order-sign",
        id="stentguide-dapt-duration",
        title="DAPT duration after PCI (PRECISE-DAPT, ARC-HBR, DAPT score)",
        description=(
            "When a P2Y12 inhibitor is signed for a patient with a PCI on record: PRECISE-DAPT, "
            "ARC-HBR and DAPT score results from the prefetched data, the inputs that are "
            "missing, and the suggested DAPT duration with its sources."
        ),
        prefetch=_prefetch_templates(),
        usageRequirements=(
            "History items that no laboratory holds (prior bleeding, oral anticoagulation, "
            f"...) are read from Observations coded {SCORE_INPUT_SYSTEM}|<input name>; "
            "laboratory values by LOINC code in the units listed in the documentation."
        ),
    )
