"""The cards of the DAPT service: a score result, missing inputs, problems, the duration."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from stentguide import DISCLAIMER, risk
from stentguide.interop.cds_hooks.data import OVERRIDE_SYSTEM, cds_data
from stentguide.interop.cds_hooks.inputs import Inputs
from stentguide.interop.cds_hooks.models import Action, Card, Coding, Source, Suggestion
from stentguide.interop.cds_hooks.scoring import Scored
from stentguide.interop.scores import score_to_risk_assessment
from stentguide.leaflets.schedule import add_months
from stentguide.references import reference

__all__ = ["duration_card", "missing_card", "problems_card", "result_card"]


def _source(keys: list[str], label: str) -> Source:
    ref = reference(keys[0])
    url = ref.url or (f"https://doi.org/{ref.doi}" if ref.doi else None)
    return Source(label=label, url=url)


def result_card(result: risk.ScoreResult, inputs: Inputs, patient_ref: str) -> Card:
    shown = f"{result.points:g}" if result.points is not None else f"{result.value:g}"
    summary = f"{result.title}: {shown} {result.unit}, {result.category} ({result.category_label})"
    lines = [f"**{result.title}**: {shown} {result.unit} - {result.category}.", ""]
    if result.outcome_text:
        lines += [f"Published figures: {result.outcome_text}", ""]
    lines.append("Inputs:")
    for name, value in result.inputs.items():
        origin = inputs.values[name]
        where = f" ({origin.reference})" if origin.reference else ""
        lines.append(f"- {name}: {value} - {origin.note}{where}")
    met = [c.label for c in result.components if c.met]
    if met:
        lines += ["", "Counted: " + "; ".join(met)]
    if result.near_cutoff:
        lines += ["", "The total is within the score's uncertainty margin of its cut-off."]
    lines += ["", *(f"Note: {n}" for n in result.notes)]
    lines += ["", "Sources: " + " | ".join(result.citations), "", DISCLAIMER]
    basis = {
        n: str(inputs.values[n].reference)
        for n in result.inputs
        if inputs.values[n].reference and str(inputs.values[n].reference).startswith("Observation/")
    }
    assessment = score_to_risk_assessment(result, subject=patient_ref, basis=basis)
    high = result.category in ("high bleeding risk",)
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary[:139],
        detail="\n".join(lines),
        indicator="warning" if high else "info",
        source=_source(result.sources, f"stentguide: {result.title}"),
        suggestions=[
            Suggestion(
                label=f"Record the {result.title} result in the chart",
                uuid=str(uuid.uuid4()),
                actions=[
                    Action(
                        type="create",
                        description=f"Create a RiskAssessment with the {result.title} result",
                        resource=assessment,
                    )
                ],
            )
        ],
        selectionBehavior="any",
    )


def missing_card(name: str, lacking: Mapping[str, str]) -> Card:
    spec = risk.get_spec(name)
    names = ", ".join(lacking)
    summary = f"{spec.title} not computed: needs {names}"
    if len(summary) > 139:
        summary = f"{spec.title} not computed: {len(lacking)} inputs missing (see details)"
    detail = "\n".join(
        [f"{spec.title} needs these inputs, which the request did not provide:", ""]
        + [f"- **{field_name}**: {why}" for field_name, why in lacking.items()]
    )
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail=detail,
        indicator="info",
        source=_source(spec.sources, f"stentguide: {spec.title}"),
    )


def problems_card(problems: Mapping[str, str]) -> Card:
    names = ", ".join(problems)
    summary = f"stentguide could not read: {names}"
    if len(summary) > 139:
        summary = f"stentguide could not read {len(problems)} prefetch items (see details)"
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail="\n".join(f"- **{k}**: {v}" for k, v in problems.items()),
        indicator="info",
        source=Source(label="stentguide CDS service"),
    )


def duration_card(scored: Scored, orders: list[dict[str, Any]], today: dt.date) -> Card | None:
    for rule in cds_data().duration_rules:
        if any(r not in scored.results for r in rule.requires):
            continue
        if rule.score is not None:
            result = scored.results.get(rule.score)
            if result is None or result.category != rule.category:
                continue
        suggestions = []
        for months in rule.months:
            end = add_months(today, months)
            actions = [
                Action(
                    type="update",
                    description=f"Set the P2Y12 inhibitor to {months} months (to {end})",
                    resource=_with_duration(order, today, end, months),
                )
                for order in orders
                if isinstance(order.get("id"), str)
            ]
            if actions:
                suggestions.append(
                    Suggestion(
                        label=f"{months} months of DAPT (until {end.isoformat()})",
                        uuid=str(uuid.uuid4()),
                        actions=actions,
                    )
                )
        citations = " | ".join(reference(k).citation() for k in rule.sources)
        return Card(
            uuid=str(uuid.uuid4()),
            summary=f"Suggested DAPT duration: {rule.summary}"[:139],
            detail=f"{rule.text}\n\nConfidence: {rule.confidence}.\n\nSources: {citations}"
            f"\n\n{DISCLAIMER}",
            indicator="info",
            source=_source(rule.sources, "stentguide: DAPT duration"),
            suggestions=suggestions or None,
            selectionBehavior="at-most-one" if suggestions else None,
            overrideReasons=[
                Coding(system=OVERRIDE_SYSTEM, code=r.code, display=r.display)
                for r in cds_data().override_reasons
            ],
        )
    return None


def _with_duration(
    order: Mapping[str, Any], start: dt.date, end: dt.date, months: int
) -> dict[str, Any]:
    updated = json.loads(json.dumps(order))
    dosages = updated.get("dosageInstruction")
    if not isinstance(dosages, list) or not dosages:
        dosages = [{}]
    for dosage in dosages:
        if not isinstance(dosage, dict):
            continue
        timing = dosage.setdefault("timing", {})
        if isinstance(timing, dict):
            repeat = timing.setdefault("repeat", {})
            if isinstance(repeat, dict):
                repeat.pop("boundsDuration", None)
                repeat.pop("boundsRange", None)
                repeat["boundsPeriod"] = {"start": start.isoformat(), "end": end.isoformat()}
    updated["dosageInstruction"] = dosages
    notes = updated.get("note") if isinstance(updated.get("note"), list) else []
    updated["note"] = [*notes, {"text": f"DAPT duration {months} months (stentguide suggestion)"}]
    return dict(updated)
