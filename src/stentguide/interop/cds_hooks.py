"""A CDS Hooks 2.0 service: discovery, two services and feedback (the web app's core).

Services
--------
``stentguide-dapt-duration`` (hook ``order-sign``)
    When the draft orders hold a P2Y12 inhibitor (clopidogrel, prasugrel or
    ticagrelor, by RxNorm or ATC code or by name) and the patient has a PCI on
    record, it computes PRECISE-DAPT, ARC-HBR and the DAPT score from the
    prefetched FHIR data and returns one card per score (its result, or the inputs
    that are missing and where to supply them) and one card with the suggested DAPT
    duration, its sources and, where the source gives a figure, suggestions that set
    the duration and end date on the draft order.
``stentguide-pathway-app`` (hook ``patient-view``)
    One card linking to the stent-complication pathways and to the patient leaflet.

Data
----
Each score input is read, in order, from the Patient (age from ``birthDate``, sex
from ``gender``), from laboratory Observations by LOINC code (units checked,
never guessed; ``knowledge/interop/cds.yaml``), or from an Observation coded
``urn:stentguide:codesystem:score-input|{input name}`` (the history items that no
laboratory holds: prior bleeding, oral anticoagulation, ...). Creatinine clearance
is computed with the shipped Cockcroft-Gault score. Nothing is defaulted: a
missing input is named on a card. A prefetch key the client did not send is read
from the client's FHIR server when it sent ``fhirServer`` and ``fhirAuthorization``
(the token is used for those reads only and never stored); otherwise it is named
as missing. A malformed prefetch value is named too: the service answers with
cards, never with a server error.

The service keeps nothing from a call: no registry case is read or written, and
feedback is validated and acknowledged but not stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from stentguide import DISCLAIMER, risk
from stentguide.errors import InputError, KnowledgeError
from stentguide.interop._common import canonical
from stentguide.interop.scores import score_to_risk_assessment
from stentguide.knowledge import knowledge_path, read_yaml, validate_data
from stentguide.leaflets.schedule import add_months
from stentguide.references import reference

__all__ = [
    "SCORE_INPUT_SYSTEM",
    "AcceptedSuggestion",
    "Action",
    "Card",
    "CdsRequest",
    "CdsResponse",
    "Coding",
    "Feedback",
    "FeedbackRequest",
    "Fetcher",
    "FhirAuthorization",
    "Link",
    "OverrideReason",
    "ServiceDescription",
    "Source",
    "Suggestion",
    "call_service",
    "discovery",
    "http_fetcher",
    "receive_feedback",
]

SCORE_INPUT_SYSTEM = canonical("codesystem", "score-input")
OVERRIDE_SYSTEM = canonical("codesystem", "cds-override-reason")
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DAPT_SCORES = ("precise-dapt", "arc-hbr", "dapt")
_OBS_STATUSES = {"final", "amended", "corrected"}


# =========================================================================== models
class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Coding(_Model):
    """A CDS Hooks Coding (``display`` is required for override reasons)."""

    system: str | None = None
    code: str
    display: str | None = None


class FhirAuthorization(_Model):
    """The OAuth 2.0 bearer token a client may pass for reads on its FHIR server."""

    access_token: str = Field(min_length=1, repr=False)
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: str
    subject: str
    patient: str | None = None


class CdsRequest(_Model):
    """A CDS service call (the spec's request body)."""

    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        return self


class Source(_Model):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(_Model):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Model):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Model):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None


class Card(_Model):
    uuid: str | None = None
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required with suggestions")
        return self


class CdsResponse(_Model):
    cards: list[Card]
    systemActions: list[Action] | None = None


class ServiceDescription(_Model):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Model):
    services: list[ServiceDescription]


class AcceptedSuggestion(_Model):
    id: str


class OverrideReason(_Model):
    reason: Coding | None = None
    userComment: str | None = None


class Feedback(_Model):
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: dt.datetime

    @model_validator(mode="after")
    def _accepted_needs_suggestions(self) -> Feedback:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required for an accepted outcome")
        return self


class FeedbackRequest(_Model):
    feedback: list[Feedback] = Field(min_length=1)


# =========================================================================== data
class _Code(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    system: str
    code: str


class _Medicine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    codes: list[_Code]


class _Medicines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str]
    medicines: list[_Medicine]


class _Codes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str]
    codes: list[_Code]


class _ObservationInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    codes: list[str]
    units: dict[str, float]


class _Observations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str]
    inputs: dict[str, _ObservationInput]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    score: str | None = None
    category: str | None = None
    requires: list[str]
    summary: str = Field(max_length=100)
    text: str
    months: list[int]
    confidence: Literal["verified", "secondary", "unconfirmed"]
    sources: list[str] = Field(min_length=1)


class _CdsData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str] = Field(min_length=1)
    p2y12_inhibitors: _Medicines
    pci_procedure: _Codes
    observations: _Observations
    duration_rules: list[_Rule]
    override_reasons: list[Coding]


@functools.cache
def _data() -> _CdsData:
    path = knowledge_path("interop", "cds.yaml")
    data = validate_data(_CdsData, read_yaml(path), path.name)
    for rule in data.duration_rules:
        for name in [*rule.requires, *([rule.score] if rule.score else [])]:
            risk.get_spec(name)
    if not data.override_reasons or any(not r.display for r in data.override_reasons):
        raise KnowledgeError(f"{path.name}: every override reason needs a display")
    return data


# =========================================================================== prefetch
Fetcher = Callable[[str], Any]
"""Reads one relative FHIR query (``Patient/123``) on the client's server; returns JSON."""

_TOKEN = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}")


def render_template(template: str, context: Mapping[str, Any]) -> str | None:
    """The prefetch template with its tokens filled in, or None if a token has no value."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        token = match.group(1)
        raw: Any = None
        if token.startswith("context."):
            raw = context.get(token.removeprefix("context."))
        elif token.startswith("user"):
            kind = token.removeprefix("user").removesuffix("Id")
            user = context.get("userId")
            if isinstance(user, str) and user.startswith(f"{kind}/"):
                raw = user.split("/", 1)[1]
        if not isinstance(raw, str | int) or isinstance(raw, bool) or str(raw) == "":
            missing = True
            return ""
        return urllib.parse.quote(str(raw), safe="")

    rendered = _TOKEN.sub(value, template)
    return None if missing else rendered


def http_fetcher(server: str, authorization: FhirAuthorization, *, timeout: float = 5.0) -> Fetcher:
    """A fetcher that reads from the client's FHIR server with its bearer token.

    The token is used for these reads only and kept nowhere else. Plain ``http`` is
    refused except to the loopback address (the spec requires https for real data).
    """
    base = server.rstrip("/")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise InputError("insecure FHIR server", {"fhirServer": "must use https"})

    def fetch(query: str) -> Any:
        request = urllib.request.Request(
            f"{base}/{query.lstrip('/')}",
            headers={
                "Authorization": f"Bearer {authorization.access_token}",
                "Accept": "application/fhir+json",
            },
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))

    return fetch


@dataclass
class _Prefetch:
    """The prefetched data of one call, filled from the client's server where allowed."""

    templates: Mapping[str, str]
    given: Mapping[str, Any]
    context: Mapping[str, Any]
    fetcher: Fetcher | None
    problems: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, tuple[bool, Any]] = field(default_factory=dict)

    def get(self, key: str) -> tuple[bool, Any]:
        """``(available, value)``; an unavailable key is named in ``problems``."""
        if key not in self._cache:
            self._cache[key] = self._load(key)
        return self._cache[key]

    def _load(self, key: str) -> tuple[bool, Any]:
        template = self.templates[key]
        if key in self.given:
            value = self.given[key]
        elif self.fetcher is not None:
            query = render_template(template, self.context)
            if query is None:
                self.problems[f"prefetch.{key}"] = f"cannot fill the template {template}"
                return False, None
            try:
                value = self.fetcher(query)
            except (OSError, ValueError, urllib.error.URLError) as exc:
                self.problems[f"prefetch.{key}"] = f"reading {query} failed: {exc}"
                return False, None
        else:
            self.problems[f"prefetch.{key}"] = (
                f"not sent, and no fhirServer/fhirAuthorization to read it ({template})"
            )
            return False, None
        if value is None:
            return True, None
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            self.problems[f"prefetch.{key}"] = "not a FHIR resource or Bundle"
            return False, None
        if value["resourceType"] == "OperationOutcome":
            self.problems[f"prefetch.{key}"] = f"the client could not read it: {_issues(value)}"
            return False, None
        return True, value

    def resources(self, key: str, kind: str) -> list[dict[str, Any]]:
        available, value = self.get(key)
        if not available or value is None:
            return []
        found = []
        for resource in _entries(value):
            if resource.get("resourceType") == kind:
                found.append(resource)
            elif resource.get("resourceType") == "OperationOutcome":
                self.problems[f"prefetch.{key}"] = f"partly unreadable: {_issues(resource)}"
        return found


def _issues(outcome: Mapping[str, Any]) -> str:
    issues = outcome.get("issue")
    texts = []
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict):
            details = issue.get("details")
            text = details.get("text") if isinstance(details, dict) else None
            texts.append(str(issue.get("diagnostics") or text or issue.get("code") or "issue"))
    return "; ".join(texts) or "no details"


def _entries(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    if value.get("resourceType") != "Bundle":
        return [dict(value)]
    entries = value.get("entry")
    out = []
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            out.append(resource)
    return out


# =========================================================================== reading inputs
@dataclass(frozen=True)
class _Value:
    value: bool | float | str
    reference: str | None
    when: str | None
    note: str


@dataclass
class _Inputs:
    values: dict[str, _Value] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _codings(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [
        (str(c.get("system", "")), str(c.get("code", "")))
        for c in (codings if isinstance(codings, list) else [])
        if isinstance(c, dict)
    ]


def _when(obs: Mapping[str, Any]) -> str:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if isinstance(obs.get(key), str):
            return str(obs[key])
    period = obs.get("effectivePeriod")
    if isinstance(period, dict):
        return str(period.get("end") or period.get("start") or "")
    return ""


def _ref(resource: Mapping[str, Any]) -> str | None:
    rid = resource.get("id")
    kind = resource.get("resourceType")
    return f"{kind}/{rid}" if isinstance(rid, str) and rid and isinstance(kind, str) else None


def _latest(
    observations: list[dict[str, Any]], system: str, codes: set[str]
) -> list[dict[str, Any]]:
    hits = [
        o
        for o in observations
        if o.get("status") in _OBS_STATUSES
        and any(s == system and c in codes for s, c in _codings(o.get("code")))
    ]
    return sorted(hits, key=_when, reverse=True)


def _age(birth: Any, today: dt.date) -> tuple[float | None, str]:
    if not isinstance(birth, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth):
        return None, "Patient.birthDate is missing or not a full date"
    try:
        born = dt.date.fromisoformat(birth)
    except ValueError:
        return None, f"Patient.birthDate {birth!r} is not a date"
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return float(years), f"from Patient.birthDate {birth}"


def _read_patient(prefetch: _Prefetch, inputs: _Inputs, today: dt.date) -> None:
    patients = prefetch.resources("patient", "Patient")
    if not patients:
        available, _ = prefetch.get("patient")
        if available:
            inputs.problems["prefetch.patient"] = "no Patient resource"
        return
    patient = patients[0]
    ref = _ref(patient)
    age, note = _age(patient.get("birthDate"), today)
    if age is None:
        inputs.problems["age_years"] = note
    else:
        inputs.values["age_years"] = _Value(age, ref, None, note)
    gender = patient.get("gender")
    if gender in ("male", "female"):
        inputs.values["sex"] = _Value(str(gender), ref, None, f"from Patient.gender {gender}")
    else:
        inputs.problems["sex"] = f"Patient.gender is {gender!r}; the scores need male or female"


def _quantity(obs: Mapping[str, Any], units: Mapping[str, float]) -> tuple[float | None, str]:
    quantity = obs.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None, "has no valueQuantity"
    value = quantity.get("value")
    unit = quantity.get("code") if quantity.get("system") == UCUM else None
    unit = unit or quantity.get("unit")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, "has no numeric value"
    if unit not in units:
        accepted = ", ".join(units)
        return None, f"is in {unit!r}; accepted units: {accepted}"
    return float(value) * units[str(unit)], f"{value:g} {unit}"


def _read_labs(prefetch: _Prefetch, inputs: _Inputs) -> None:
    observations = prefetch.resources("labs", "Observation")
    for name, spec in _data().observations.inputs.items():
        found = _latest(observations, LOINC, set(spec.codes))
        if not found:
            continue
        obs = found[0]
        value, note = _quantity(obs, spec.units)
        ref = _ref(obs) or "Observation"
        if value is None:
            inputs.problems[name] = f"{spec.label}: {ref} {note}"
            continue
        inputs.values[name] = _Value(
            value, _ref(obs), _when(obs), f"{note}, {_when(obs) or 'undated'}"
        )


def _answer_value(obs: Mapping[str, Any]) -> bool | float | str | None:
    if isinstance(obs.get("valueBoolean"), bool):
        return bool(obs["valueBoolean"])
    for key in ("valueInteger", "valueDecimal"):
        if isinstance(obs.get(key), int | float) and not isinstance(obs.get(key), bool):
            return float(obs[key])
    quantity = obs.get("valueQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        return float(quantity["value"])
    if isinstance(obs.get("valueString"), str):
        return str(obs["valueString"])
    codes = _codings(obs.get("valueCodeableConcept"))
    if codes:
        return codes[0][1]
    return None


def _read_answers(prefetch: _Prefetch, inputs: _Inputs) -> None:
    observations = prefetch.resources("answers", "Observation")
    names = {c for o in observations for s, c in _codings(o.get("code")) if s == SCORE_INPUT_SYSTEM}
    for name in sorted(names):
        found = _latest(observations, SCORE_INPUT_SYSTEM, {name})
        if not found:
            inputs.problems[name] = "no final, amended or corrected Observation"
            continue
        obs = found[0]
        value = _answer_value(obs)
        if value is None:
            inputs.problems[name] = f"{_ref(obs) or 'Observation'} has no value"
        elif name not in inputs.values:
            inputs.values[name] = _Value(value, _ref(obs), _when(obs), "recorded answer")


def _creatinine_clearance(inputs: _Inputs) -> None:
    if "creatinine_clearance_ml_min" in inputs.values:
        return
    needed = ("age_years", "weight_kg", "serum_creatinine_mg_dl", "sex")
    if not all(n in inputs.values for n in needed):
        return
    try:
        result = risk.score("cockcroft-gault", {n: inputs.values[n].value for n in needed})
    except InputError as exc:
        inputs.problems["creatinine_clearance_ml_min"] = f"Cockcroft-Gault: {exc}"
        return
    inputs.values["creatinine_clearance_ml_min"] = _Value(
        round(result.value, 1), None, None, "Cockcroft-Gault from age, weight, creatinine, sex"
    )


# =========================================================================== cards
def _source(keys: list[str], label: str) -> Source:
    ref = reference(keys[0])
    url = ref.url or (f"https://doi.org/{ref.doi}" if ref.doi else None)
    return Source(label=label, url=url)


def _how_to_supply(name: str) -> str:
    spec = _data().observations.inputs.get(name)
    if spec is not None:
        codes = ", ".join(f"LOINC {c}" for c in spec.codes)
        return f"an Observation ({codes}) in prefetch 'labs'"
    if name in ("age_years", "sex"):
        return "the Patient (birthDate, gender) in prefetch 'patient'"
    if name == "creatinine_clearance_ml_min":
        return "weight, serum creatinine, age and sex (Cockcroft-Gault), or a recorded answer"
    return f"an Observation coded {SCORE_INPUT_SYSTEM}|{name} in prefetch 'answers'"


@dataclass
class _Scored:
    results: dict[str, risk.ScoreResult] = field(default_factory=dict)
    missing: dict[str, dict[str, str]] = field(default_factory=dict)


def _score_all(inputs: _Inputs) -> _Scored:
    scored = _Scored()
    for name in DAPT_SCORES:
        spec = risk.get_spec(name)
        needed = [v.name for v in spec.variables if not v.required_when]
        lacking = {
            n: inputs.problems.get(n, f"missing: supply {_how_to_supply(n)}")
            for n in needed
            if n not in inputs.values
        }
        if lacking:
            scored.missing[name] = lacking
            continue
        try:
            scored.results[name] = risk.score(name, {n: inputs.values[n].value for n in needed})
        except InputError as exc:
            scored.missing[name] = dict(exc.problems) or {"inputs": str(exc)}
    return scored


def _result_card(result: risk.ScoreResult, inputs: _Inputs, patient_ref: str) -> Card:
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


def _missing_card(name: str, lacking: Mapping[str, str]) -> Card:
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


def _problems_card(problems: Mapping[str, str]) -> Card:
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


def _duration_card(scored: _Scored, orders: list[dict[str, Any]], today: dt.date) -> Card | None:
    for rule in _data().duration_rules:
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
                for r in _data().override_reasons
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


# =========================================================================== services
@dataclass(frozen=True)
class _Service:
    description: ServiceDescription
    run: Callable[[CdsRequest, _Prefetch, str], CdsResponse]


def _p2y12_orders(context: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    bundle = context.get("draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return [], "context.draftOrders is missing or not a Bundle"
    medicines = _data().p2y12_inhibitors.medicines
    codes = {(c.system, c.code) for m in medicines for c in m.codes}
    names = [m.name for m in medicines]
    found = []
    for resource in _entries(bundle):
        if resource.get("resourceType") != "MedicationRequest":
            continue
        concept = resource.get("medicationCodeableConcept")
        coded = set(_codings(concept)) & codes
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


def _had_pci(prefetch: _Prefetch) -> bool | None:
    """True/False when the procedures were read, None when they could not be."""
    available, value = prefetch.get("pci")
    if not available:
        return None
    codes = {(c.system, c.code) for c in _data().pci_procedure.codes}
    procedures = _entries(value) if isinstance(value, dict) else []
    return any(
        p.get("resourceType") == "Procedure"
        and p.get("status") not in ("entered-in-error", "not-done")
        and set(_codings(p.get("code"))) & codes
        for p in procedures
    )


def _dapt_service(request: CdsRequest, prefetch: _Prefetch, _base_url: str) -> CdsResponse:
    orders, problem = _p2y12_orders(request.context)
    if problem:
        return CdsResponse(cards=[_problems_card({"context.draftOrders": problem})])
    if not orders:
        return CdsResponse(cards=[])
    pci = _had_pci(prefetch)
    if pci is False:
        return CdsResponse(cards=[])
    today = dt.datetime.now(dt.UTC).date()
    inputs = _Inputs()
    _read_patient(prefetch, inputs, today)
    _read_labs(prefetch, inputs)
    _read_answers(prefetch, inputs)
    _creatinine_clearance(inputs)
    scored = _score_all(inputs)
    patient_id = request.context.get("patientId")
    patient_ref = f"Patient/{patient_id}" if isinstance(patient_id, str) and patient_id else None
    cards: list[Card] = []
    for name in DAPT_SCORES:
        if name in scored.results:
            cards.append(_result_card(scored.results[name], inputs, patient_ref or "Patient"))
        else:
            cards.append(_missing_card(name, scored.missing[name]))
    duration = _duration_card(scored, orders, today)
    if duration is not None:
        cards.insert(0, duration)
    if prefetch.problems:
        cards.append(_problems_card(prefetch.problems))
    return CdsResponse(cards=cards)


def _app_service(request: CdsRequest, _prefetch: _Prefetch, base_url: str) -> CdsResponse:
    base = base_url.rstrip("/")
    card = Card(
        uuid=str(uuid.uuid4()),
        summary="Stent loss and failed delivery pathways, and the patient leaflet (stentguide)",
        detail=(
            "Step-by-step management pathways for a lost, displaced or undeliverable stent, "
            "with device checks and a timed record; and the printable patient leaflet after "
            f"PCI.\n\n{DISCLAIMER}"
        ),
        indicator="info",
        source=Source(label="stentguide", url=f"{base}/"),
        links=[
            Link(label="Run a stent-complication pathway", url=f"{base}/runs/new", type="absolute"),
            Link(label="Prepare the patient leaflet", url=f"{base}/leaflets", type="absolute"),
        ],
    )
    return CdsResponse(cards=[card])


def _prefetch_templates() -> dict[str, str]:
    labs = ",".join(
        f"{LOINC}|{code}" for spec in _data().observations.inputs.values() for code in spec.codes
    )
    pci = ",".join(f"{c.system}|{c.code}" for c in _data().pci_procedure.codes)
    return {
        "patient": "Patient/{{context.patientId}}",
        "pci": f"Procedure?patient={{{{context.patientId}}}}&code={pci}",
        "labs": f"Observation?patient={{{{context.patientId}}}}&code={labs}&_sort=-date",
        "answers": f"Observation?patient={{{{context.patientId}}}}&code={SCORE_INPUT_SYSTEM}|",
    }


@functools.cache
def _services() -> dict[str, _Service]:
    dapt = ServiceDescription(
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
    app = ServiceDescription(
        hook="patient-view",
        id="stentguide-pathway-app",
        title="Stent complication pathways and patient leaflet",
        description="A card linking to the stentguide pathways and the patient leaflet.",
        usageRequirements="Enable in cath-lab and cardiology contexts only.",
    )
    return {
        dapt.id: _Service(dapt, _dapt_service),
        app.id: _Service(app, _app_service),
    }


def discovery() -> Discovery:
    """The discovery response: every service with its hook and prefetch templates."""
    return Discovery(services=[s.description for s in _services().values()])


def service_ids() -> list[str]:
    return list(_services())


def call_service(
    service_id: str,
    request: CdsRequest,
    *,
    base_url: str,
    fhir_servers: Collection[str] = (),
    fetcher_factory: Callable[[str, FhirAuthorization], Fetcher] = http_fetcher,
) -> CdsResponse:
    """Answer one service call.

    ``fhir_servers`` are the client FHIR servers the service may read with the
    request's ``fhirAuthorization`` (an allow-list set by the site: any other
    ``fhirServer`` is not contacted, so a caller cannot point the service at an
    arbitrary URL). Unknown ids raise ``KeyError``; a hook that is not the
    service's raises :class:`InputError` naming ``hook``.
    """
    service = _services()[service_id]
    if request.hook != service.description.hook:
        raise InputError(
            "wrong hook for this service",
            {"hook": f"{service_id} answers {service.description.hook}, not {request.hook}"},
        )
    fetcher = None
    refused = None
    if request.fhirServer is not None and request.fhirAuthorization is not None:
        server = str(request.fhirServer).rstrip("/")
        if server not in {s.rstrip("/") for s in fhir_servers}:
            refused = "not on this service's list of FHIR servers; it was not read"
        else:
            try:
                fetcher = fetcher_factory(server, request.fhirAuthorization)
            except InputError:
                refused = "must use https; it was not read"
    prefetch = _Prefetch(
        templates=service.description.prefetch or {},
        given=request.prefetch or {},
        context=request.context,
        fetcher=fetcher,
    )
    if refused is not None and service.description.prefetch:
        prefetch.problems["fhirServer"] = refused
    return service.run(request, prefetch, base_url)


def receive_feedback(service_id: str, body: FeedbackRequest) -> dict[str, int]:
    """Validate feedback for a service; nothing is stored (see the module docstring)."""
    _services()[service_id]
    return {"received": len(body.feedback)}
