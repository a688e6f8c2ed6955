"""Leaflet content as data: the sourced claims and the text of each language.

``knowledge/leaflets/claims.yaml`` holds every clinical statement and figure the
leaflet makes, with its sources and how far it can be trusted;
``knowledge/leaflets/text/<lang>.yaml`` holds the words, which quote figures
only through those claims. Both are validated here when first loaded (never at
import) and cached.
"""

from __future__ import annotations

import functools
from typing import Literal

from jinja2 import Environment, StrictUndefined, Template, TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stentguide.errors import KnowledgeError, UnknownNameError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.leaflets.plan import Language, SecondAntiplatelet
from stentguide.references import check_sources

__all__ = [
    "Claim",
    "LeafletText",
    "load_claims",
    "load_text",
    "string_environment",
]

Confidence = Literal["high", "moderate", "low"]


class Claim(BaseModel):
    """One clinical statement of the leaflet, with its figures and sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: dict[str, int | float] = Field(default_factory=dict)
    sources: list[str] = Field(min_length=1)
    confidence: Confidence
    note: str = Field(min_length=1)

    @property
    def uncertain(self) -> bool:
        """Shown to the reader as a rough estimate."""
        return self.confidence == "low"


class _ClaimsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claims: dict[str, Claim]


class LeafletText(BaseModel):
    """The words of the leaflet in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Language
    locale: str
    names: dict[str, str]
    strings: dict[str, str]

    @model_validator(mode="after")
    def _every_medicine_named(self) -> LeafletText:
        wanted = {"aspirin", *(m.value for m in SecondAntiplatelet)}
        missing = sorted(wanted - set(self.names))
        if missing:
            raise ValueError(f"no name for medicine(s) {', '.join(missing)}")
        return self


def _read(relative: str) -> object:
    path = knowledge_path("leaflets", *relative.split("/"))
    return read_yaml(path, origin=f"leaflets/{relative}")


@functools.cache
def load_claims() -> dict[str, Claim]:
    """Every claim by name, validated, with every source checked to exist."""
    try:
        parsed = _ClaimsFile.model_validate(_read("claims.yaml"))
    except ValidationError as exc:
        raise KnowledgeError(f"leaflets/claims.yaml: {exc}") from exc
    for name, claim in parsed.claims.items():
        check_sources(claim.sources, f"leaflets/claims.yaml: {name}")
    return parsed.claims


@functools.cache
def string_environment() -> Environment:
    """The Jinja environment the short text strings are compiled in (autoescaped)."""
    return Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)


@functools.cache
def _compiled(language: str) -> tuple[LeafletText, dict[str, Template]]:
    where = f"leaflets/text/{language}.yaml"
    try:
        text = LeafletText.model_validate(_read(f"text/{language}.yaml"))
    except ValidationError as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc
    if text.language.value != language:
        raise KnowledgeError(f"{where}: declares language {text.language.value!r}")
    env = string_environment()
    compiled: dict[str, Template] = {}
    for key, source in text.strings.items():
        try:
            compiled[key] = env.from_string(source)
        except TemplateSyntaxError as exc:
            raise KnowledgeError(f"{where}: string {key!r}: {exc}") from exc
    return text, compiled


def load_text(language: str) -> tuple[LeafletText, dict[str, Template]]:
    """The text of ``language`` and its compiled strings (validated, cached)."""
    known = [lang.value for lang in Language]
    if language not in known:
        raise UnknownNameError("leaflet language", language, known)
    return _compiled(language)
