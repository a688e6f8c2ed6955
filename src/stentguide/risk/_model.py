"""The declarative score specification: one YAML file per score, validated here.

A score is data: typed input variables with units and plausible ranges, rules
that award points when conditions on those variables hold, categories with
their published outcome figures, and the sources for each. The engine in
:mod:`stentguide.risk._evaluate` runs any spec; nothing score-specific lives
in code except the named equations (:data:`EQUATIONS`).
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stentguide.risk._equations import EQUATIONS

__all__ = [
    "Category",
    "Comparison",
    "Condition",
    "GroupThreshold",
    "LevelValues",
    "LinearPoints",
    "NextStep",
    "OutcomeFigure",
    "ParamRef",
    "Parameter",
    "PerUnit",
    "Rate",
    "Rule",
    "ScoreSpec",
    "Variable",
    "WithheldScore",
    "rule_variables",
]

Confidence = Literal["verified", "secondary", "unconfirmed"]
Comparison = Literal["ge", "gt", "le", "lt"]
Tone = Literal["favourable", "caution", "unfavourable", "neutral"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamRef(_Strict):
    """A value taken from a named score parameter (e.g. the J-CTO length cut-off)."""

    parameter: str


class LevelValues(_Strict):
    """A threshold that depends on a category variable (e.g. haematocrit by sex)."""

    by: str
    values: dict[str, float]


Threshold = float | ParamRef | LevelValues


class Variable(_Strict):
    """One input of a score: its type, unit, allowed range or levels, and meaning."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["bool", "int", "float", "category"]
    description: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    levels: list[str] | None = None
    required_when: dict[str, str] | None = Field(
        default=None, description="Only an input when these parameters have these values."
    )
    note: str | None = None
    derived_from: str | None = Field(
        default=None,
        description="An equation score whose value can stand in for this input.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Variable:
        numeric = self.type in ("int", "float")
        if numeric and (self.minimum is None or self.maximum is None):
            raise ValueError(f"{self.name}: a numeric input needs a minimum and a maximum")
        if (
            numeric
            and self.minimum is not None
            and self.maximum is not None
            and (self.minimum > self.maximum)
        ):
            raise ValueError(f"{self.name}: minimum above maximum")
        if not numeric and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"{self.name}: only numeric inputs take a range")
        if (self.type == "category") != bool(self.levels):
            raise ValueError(f"{self.name}: levels are required for, and only for, categories")
        return self


class Parameter(_Strict):
    """A documented method choice with a published default (never patient data)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    default: float | str
    choices: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    sources: list[str] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Parameter:
        if isinstance(self.default, str):
            if not self.choices or self.default not in self.choices:
                raise ValueError(f"{self.name}: a text parameter needs choices holding its default")
        elif self.minimum is None or self.maximum is None:
            raise ValueError(f"{self.name}: a numeric parameter needs a minimum and a maximum")
        elif not self.minimum <= self.default <= self.maximum:
            raise ValueError(f"{self.name}: default outside its range")
        return self


class Condition(_Strict):
    """A test on one variable: a flag, membership in levels, or a comparison."""

    variable: str
    levels: list[str] | None = None
    op: Comparison | ParamRef | None = None
    value: Threshold | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        if (self.op is None) != (self.value is None):
            raise ValueError(f"{self.variable}: a comparison needs both op and value")
        if self.levels is not None and self.op is not None:
            raise ValueError(f"{self.variable}: use either levels or a comparison")
        return self


class PerUnit(_Strict):
    """Points for each whole ``unit`` of a variable (e.g. 1 point per 100 mL of contrast)."""

    variable: str
    unit: float = Field(gt=0)
    rounding: Literal["floor"] = "floor"


class LinearPoints(_Strict):
    """Points interpolated linearly between two end points, clipped outside them."""

    variable: str
    x0: float
    points0: float
    x1: float
    points1: float

    @model_validator(mode="after")
    def _distinct(self) -> LinearPoints:
        if self.x0 == self.x1:
            raise ValueError(f"{self.variable}: the two end points need distinct x")
        return self


class Rule(_Strict):
    """Points awarded when every condition holds (or per unit, or on a linear axis)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    points: float = 1.0
    when: list[Condition] = Field(default_factory=list)
    per_unit: PerUnit | None = None
    linear: LinearPoints | None = None
    group: str | None = None
    active_when: dict[str, str] | None = None
    sources: list[str] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        kinds = sum([bool(self.when), self.per_unit is not None, self.linear is not None])
        if kinds != 1:
            raise ValueError(f"rule {self.id}: give exactly one of when, per_unit, linear")
        return self


class OutcomeFigure(_Strict):
    """A published figure attached to a category or a score, with how sure it is."""

    text: str
    confidence: Confidence
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class Rate(_Strict):
    """A predicted or observed rate for a category, as a number (a batch column)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*_percent$")
    label: str
    percent: float = Field(ge=0, le=100)
    confidence: Confidence
    sources: list[str] = Field(min_length=1)


class NextStep(_Strict):
    """What the paper says to do in this category, with its source."""

    text: str
    confidence: Confidence
    sources: list[str] = Field(min_length=1)


class GroupThreshold(_Strict):
    """At least ``at_least`` met rules of ``group`` (e.g. one ARC-HBR major criterion)."""

    group: str
    at_least: int = Field(ge=1)


class Category(_Strict):
    """A band of the total, or a rule on group counts; first match wins."""

    name: str
    label: str
    at_least: float | None = None
    below: float | None = None
    when_any_group: list[GroupThreshold] | None = None
    tone: Tone = Field(default="neutral", description="What the category means for the patient.")
    outcome: list[OutcomeFigure] = Field(default_factory=list)
    rates: list[Rate] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)


class ScoreSpec(_Strict):
    """A whole score, as declared in ``knowledge/scores/<name>.yaml``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    purpose: str
    kind: Literal["points", "criteria", "equation"]
    unit: str = "points"
    value_label: str | None = Field(
        default=None, description="What an equation's value is, in plain words (e.g. eGFR)."
    )
    equation: str | None = None
    constants: dict[str, float] = Field(default_factory=dict)
    decimals: int = Field(default=0, ge=0, le=3)
    variables: list[Variable] = Field(min_length=1)
    parameters: list[Parameter] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    outcome: list[OutcomeFigure] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    uncertainty_margin: float | None = Field(
        default=None, description="A total this close to a cut-off is flagged as uncertain."
    )
    notes: list[str] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)

    @property
    def cut_offs(self) -> list[float]:
        """Where each band after the first begins (bands are checked to be contiguous)."""
        return [float(c.at_least) for c in self.categories[1:] if c.at_least is not None]

    @model_validator(mode="after")
    def _coherent(self) -> ScoreSpec:
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            raise ValueError("a variable is declared twice")
        by_name = {v.name: v for v in self.variables}
        params = {p.name: p for p in self.parameters}
        for var in self.variables:
            _check_param_choice(var.required_when, params, f"variable {var.name}")
        if self.kind == "equation":
            _check_equation(self, by_name, params)
            _check_categories(self)
            return self
        if not self.rules:
            raise ValueError("a points or criteria score needs rules")
        for rule in self.rules:
            _check_param_choice(rule.active_when, params, f"rule {rule.id}")
            for var_name in rule_variables(rule):
                if var_name not in by_name:
                    raise ValueError(f"rule {rule.id}: unknown variable {var_name}")
            for cond in rule.when:
                _check_condition(cond, by_name, params, rule.id)
        _check_categories(self)
        return self


def _check_equation(
    spec: ScoreSpec, variables: dict[str, Variable], params: dict[str, Parameter]
) -> None:
    equation = EQUATIONS.get(spec.equation or "")
    if equation is None or spec.rules:
        raise ValueError("an equation score names a known equation and has no rules")
    missing = [n for n in equation.inputs if n not in variables]
    missing += [n for n in equation.constants if n not in spec.constants]
    missing += [n for n in equation.parameters if n not in params]
    if missing:
        raise ValueError(f"equation {spec.equation} needs {', '.join(missing)}")
    if "sex" in equation.inputs and (variables["sex"].levels or []) != ["male", "female"]:
        raise ValueError("sex must have the levels male, female")


def rule_variables(rule: Rule) -> list[str]:
    """Every input a rule reads (conditions, per-unit and linear axes, level thresholds)."""
    names = [c.variable for c in rule.when]
    if rule.per_unit:
        names.append(rule.per_unit.variable)
    if rule.linear:
        names.append(rule.linear.variable)
    names.extend(c.value.by for c in rule.when if isinstance(c.value, LevelValues))
    return names


def _check_param_choice(
    choice: dict[str, str] | None, params: dict[str, Parameter], where: str
) -> None:
    for key, value in (choice or {}).items():
        if key not in params or value not in (params[key].choices or []):
            raise ValueError(f"{where}: {key}={value} is not a declared parameter choice")


def _check_condition(
    cond: Condition, variables: dict[str, Variable], params: dict[str, Parameter], rule: str
) -> None:
    var = variables[cond.variable]
    if cond.levels is not None:
        if var.type != "category" or not set(cond.levels) <= set(var.levels or []):
            raise ValueError(f"rule {rule}: levels do not match variable {var.name}")
    elif cond.op is None:
        if var.type != "bool":
            raise ValueError(f"rule {rule}: {var.name} is not a flag; give op and value")
    else:
        if var.type not in ("int", "float"):
            raise ValueError(f"rule {rule}: comparison on non-numeric {var.name}")
        if isinstance(cond.op, ParamRef):
            declared = params.get(cond.op.parameter)
            choices = set(declared.choices or []) if declared else set()
            if not choices or not choices <= {"ge", "gt", "le", "lt"}:
                raise ValueError(f"rule {rule}: op parameter must offer ge/gt/le/lt")
        if isinstance(cond.value, ParamRef) and cond.value.parameter not in params:
            raise ValueError(f"rule {rule}: unknown parameter {cond.value.parameter}")
        if isinstance(cond.value, LevelValues):
            by = variables[cond.value.by]
            if by.type != "category" or set(cond.value.values) != set(by.levels or []):
                raise ValueError(f"rule {rule}: thresholds must cover every level of {by.name}")


def _check_categories(spec: ScoreSpec) -> None:
    if not spec.categories:
        return
    if spec.kind == "criteria":
        groups = {r.group for r in spec.rules}
        *ruled, last = spec.categories
        for cat in ruled:
            if not cat.when_any_group or any(g.group not in groups for g in cat.when_any_group):
                raise ValueError(f"category {cat.name}: needs group thresholds on known groups")
        if last.when_any_group or last.at_least is not None or last.below is not None:
            raise ValueError("the last criteria category must be the catch-all")
        return
    bands = spec.categories
    if bands[0].at_least is not None or bands[-1].below is not None:
        raise ValueError("the first band must be open below and the last open above")
    for lower, upper in itertools.pairwise(bands):
        if lower.below is None or lower.below != upper.at_least:
            raise ValueError(f"bands {lower.name} and {upper.name} are not contiguous")
    for cat in bands:
        if cat.when_any_group:
            raise ValueError(f"category {cat.name}: group thresholds only in criteria scores")


class WithheldScore(_Strict):
    """A score deliberately not shipped yet, with the reason and what would unblock it."""

    name: str
    title: str
    reason: str
    sources: list[str] = Field(min_length=1)
