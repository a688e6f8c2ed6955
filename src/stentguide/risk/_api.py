"""The public functions for one case: score it, list the scores, describe their inputs.

Frames of cases are scored by :mod:`stentguide.risk._batch`, files by
:mod:`stentguide.risk._files`, both through the same evaluator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from stentguide.errors import InputError
from stentguide.references import reference
from stentguide.risk._catalog import all_specs, get_spec, withheld_scores
from stentguide.risk._columns import (
    Columns,
    ParamValues,
    active_variables,
    from_mapping,
    resolve_parameters,
)
from stentguide.risk._evaluate import Evaluation, active_rules, evaluate, integral_points
from stentguide.risk._model import ScoreSpec, rule_variables
from stentguide.risk._result import Component, ScoreInfo, ScoreResult, outcome_text
from stentguide.risk._units import unit_aliases

if TYPE_CHECKING:
    pass

__all__ = [
    "answer_points",
    "derivation_sources",
    "input_schema",
    "list_scores",
    "prepare_inputs",
    "provisional_points",
    "score",
]


def list_scores() -> list[ScoreInfo]:
    """Every shipped score, then the withheld ones with the reason they are not available."""
    shipped = [
        ScoreInfo(name=s.name, title=s.title, available=True, purpose=s.purpose, kind=s.kind)
        for s in all_specs().values()
    ]
    withheld = [
        ScoreInfo(name=w.name, title=w.title, available=False, reason=w.reason)
        for w in withheld_scores()
    ]
    return shipped + withheld


def score(
    name: str, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
) -> ScoreResult:
    """Score one case.

    Every missing, unknown, ill-typed or out-of-range field is reported at once in
    one :class:`~stentguide.errors.InputError` whose ``problems`` maps field to reason.
    The case runs through the same vectorised engine as a batch, on arrays of length 1.
    """
    spec = get_spec(name)
    values = resolve_parameters(spec, params)
    given, derived, problems = prepare_inputs(spec, values, inputs)
    cols = from_mapping(spec, values, given, skip_ranges=set(derived))
    for p in cols.problems:
        shown = p.values[0] if p.values is not None and "got" not in p.why else None
        problems.setdefault(p.field, f"{p.why} (got {shown})" if shown is not None else p.why)
    if problems:
        raise InputError(f"invalid input for {spec.name}", problems)
    with np.errstate(all="ignore"):
        ev = evaluate(spec, values, cols.values, 1)
    return _result(spec, values, cols, ev, derived)


def derivation_sources(spec: ScoreSpec, params: ParamValues | None = None) -> dict[str, ScoreSpec]:
    """Inputs of ``spec`` that another equation score can compute (input -> that score)."""
    variables = active_variables(spec, params) if params is not None else spec.variables
    return {v.name: get_spec(v.derived_from) for v in variables if v.derived_from}


def prepare_inputs(
    spec: ScoreSpec, params: ParamValues, inputs: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Convert inputs given in other units and compute derivable ones.

    A value under a unit alias (``serum_creatinine_umol_l``) becomes the canonical
    input. A missing input that another equation score can compute (creatinine
    clearance by Cockcroft-Gault, eGFR by CKD-EPI 2021) is computed when that score's
    own inputs are given. Returns the inputs, the derived inputs (name -> score), and
    the problems found so far (field -> why).
    """
    sources = derivation_sources(spec, params)
    variables = list(spec.variables) + [v for s in sources.values() for v in s.variables]
    given = dict(inputs)
    problems: dict[str, str] = {}
    for alias, (target, per_canonical) in unit_aliases(v.name for v in variables).items():
        if alias not in given:
            continue
        raw = given.pop(alias)
        if target in given:
            problems[alias] = f"give either {target} or {alias}, not both"
        elif isinstance(raw, bool) or not isinstance(raw, int | float):
            problems[alias] = f"expected a number, got {raw!r}"
        else:
            given[target] = raw / per_canonical
    own = {v.name for v in active_variables(spec, params)}
    derived: dict[str, str] = {}
    for target, source in sources.items():
        extra = [v.name for v in source.variables if v.name not in own]
        if given.get(target) is not None or not any(name in given for name in extra):
            continue
        sub = {v.name: given[v.name] for v in source.variables if v.name in given}
        for name in extra:
            given.pop(name, None)
        try:
            value = score(source.name, sub).value
        except InputError as exc:
            for field, why in exc.problems.items():
                problems[field] = f"{why} (needed to compute {target} by {source.title})"
            problems.setdefault(target, f"could not be computed by {source.title}")
            continue
        given[target] = value
        derived[target] = source.name
    return given, derived, problems


def _result(
    spec: ScoreSpec,
    params: ParamValues,
    cols: Columns,
    ev: Evaluation,
    derived: dict[str, str] | None = None,
) -> ScoreResult:
    total = float(ev.total[0])
    components = []
    for rule in active_rules(spec, params):
        pts = float(ev.rule_points[rule.id][0])
        components.append(
            Component(
                id=rule.id,
                label=rule.label,
                met=pts != 0,
                points=pts,
                group=rule.group,
                note=rule.note,
                sources=rule.sources,
            )
        )
    category = label = None
    figures = list(spec.outcome)
    cat = None
    if ev.category is not None:
        cat = spec.categories[int(ev.category[0])]
        category, label = cat.name, cat.label
        figures = list(cat.outcome) + figures
    rates = list(cat.rates) if cat else []
    steps = (list(cat.next_steps) if cat else []) + list(spec.next_steps)
    sources = _unique(
        list(spec.sources)
        + [k for f in figures for k in f.sources]
        + [k for r in rates for k in r.sources]
        + [k for n in steps for k in n.sources]
        + [k for c in components if c.met for k in c.sources]
    )
    points: int | float | None = None
    if spec.kind != "equation":
        points = int(total) if integral_points(spec) else total
    group_counts = {g: int(c[0]) for g, c in ev.group_counts.items()}
    return ScoreResult(
        score=spec.name,
        title=spec.title,
        value=total,
        unit=spec.unit,
        points=points,
        category=category,
        category_label=label,
        outcome=figures,
        outcome_text=outcome_text(figures),
        tone=cat.tone if cat else "neutral",
        summary=_summary(spec, total, category, group_counts),
        rates=rates,
        next_steps=steps,
        derived=dict(derived or {}),
        group_counts=group_counts,
        near_cutoff=bool(ev.near_cutoff[0]) if ev.near_cutoff is not None else False,
        components=components,
        inputs={k: _plain(spec, k, v[0]) for k, v in cols.values.items()},
        parameters=dict(params),
        notes=list(spec.notes),
        sources=sources,
        citations=[reference(k).citation() for k in sources],
    )


def _number(value: float, decimals: int = 0) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _summary(
    spec: ScoreSpec,
    total: float,
    category: str | None,
    group_counts: dict[str, int],
) -> str:
    """The result in plain words, e.g. "3 points: very difficult"."""
    if spec.kind == "criteria":
        met = ", ".join(f"{n} {g}" for g, n in group_counts.items())
        head = (category or "").capitalize()
        return f"{head} ({met} criteria met)" if head else f"{met} criteria met"
    if spec.kind == "equation":
        unit = "" if spec.unit == "ratio" else f" {spec.unit}"
        text = f"{spec.value_label or spec.title} {_number(total, spec.decimals)}{unit}"
    else:
        text = f"{_number(total, spec.decimals)} point{'' if total == 1 else 's'}"
    if category and not category.startswith("score"):
        text = f"{text}: {category}"
    return text


def _plain(spec: ScoreSpec, name: str, value: Any) -> bool | float | str:
    var = next(v for v in spec.variables if v.name == name)
    if var.type == "bool":
        return bool(value)
    if var.type == "category":
        return (var.levels or [])[int(value)]
    return float(value)


def _unique(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def input_schema(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of one case's inputs under these parameters."""
    spec = get_spec(name)
    values = resolve_parameters(spec, params)
    properties: dict[str, Any] = {}
    for var in active_variables(spec, values):
        prop: dict[str, Any] = {"description": var.description}
        if var.type == "bool":
            prop["type"] = "boolean"
        elif var.type == "category":
            prop["type"] = "string"
            prop["enum"] = list(var.levels or [])
        else:
            prop["type"] = "integer" if var.type == "int" else "number"
            prop["minimum"] = var.minimum
            prop["maximum"] = var.maximum
        if var.unit:
            prop["x-unit"] = var.unit
        properties[var.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"stentguide:score:{spec.name}",
        "title": spec.title,
        "description": spec.purpose,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "x-parameters": dict(values),
    }


def answer_points(name: str) -> dict[str, dict[str, str]]:
    """What each yes/no or level answer adds, for showing beside the choice.

    ``{"blunt_stump": {"true": "+1"}, "spontaneous_bleeding": {"first_6_to_12_months":
    "minor"}}``: points for points scores, the criterion's group for criteria sets.
    Only answers that a rule scores on their own (one condition) are listed.
    """
    spec = get_spec(name)
    shown: dict[str, dict[str, str]] = {}
    for rule in spec.rules:
        if len(rule.when) != 1:
            continue
        cond = rule.when[0]
        tag = rule.group if spec.kind == "criteria" and rule.group else _signed(rule.points)
        if cond.levels is not None:
            for level in cond.levels:
                shown.setdefault(cond.variable, {})[level] = tag
        elif cond.op is None:
            shown.setdefault(cond.variable, {})["true"] = tag
    return shown


def _signed(points: float) -> str:
    text = _number(points, 1)
    return text if points < 0 else f"+{text}"


def provisional_points(name: str, inputs: Mapping[str, Any]) -> tuple[float, int, int] | None:
    """Points from the rules whose inputs are all answered so far, for a live preview.

    Returns ``(points, rules counted, rules in the score)``; None for equations. No
    unanswered item is assumed either way: a rule counts only once all its inputs
    are given and valid, so the preview is a floor, labelled as such by the caller.
    """
    spec = get_spec(name)
    if spec.kind == "equation":
        return None
    params = resolve_parameters(spec, None)
    given, derived, _ = prepare_inputs(spec, params, inputs)
    cols = from_mapping(spec, params, given, skip_ranges=set(derived))
    bad = {p.field for p in cols.problems}
    with np.errstate(all="ignore"):
        ev = evaluate(spec, params, cols.values, 1)
    rules = active_rules(spec, params)
    done = [r for r in rules if not set(rule_variables(r)) & bad]
    return sum(float(ev.rule_points[r.id][0]) for r in done), len(done), len(rules)
