"""What every FHIR export shares: canonical names, publisher metadata, validation.

Canonical URLs are URNs under ``urn:stentguide:`` so that nothing claims a web
address the project does not own; a site that publishes the resources on its
own FHIR server replaces :data:`CANONICAL_BASE` with its base URL in one place.
Every resource is validated with the ``fhir.resources`` R4B models before it is
returned, and returned as plain JSON (``exclude_none``), so that what leaves the
package is exactly what the model accepted.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from typing import Any

from stentguide.errors import InputError
from stentguide.references import reference

__all__ = [
    "CANONICAL_BASE",
    "PUBLISHER",
    "canonical",
    "citations",
    "code_system",
    "computable_name",
    "metadata",
    "validated",
]

CANONICAL_BASE = "urn:stentguide"
PUBLISHER = "stentguide contributors"
LICENSE = "MIT licence; clinical content cites its published sources."
SHAREABLE = "http://hl7.org/fhir/StructureDefinition/shareable"


def canonical(kind: str, name: str) -> str:
    """The canonical URL of a resource or a code system, e.g. ``urn:stentguide:codesystem:x``."""
    return f"{CANONICAL_BASE}:{kind}:{name}"


def computable_name(slug: str) -> str:
    """A name that satisfies the FHIR rule ``[A-Z]([A-Za-z0-9_]){0,254}`` (e.g. pdf-0)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", slug) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or not name[0].isalpha():
        name = "X" + name
    return name[:255]


def metadata(
    *, kind: str, slug: str, version: str, title: str, date: dt.date | None = None
) -> dict[str, Any]:
    """The metadata every shareable knowledge resource carries (url to copyright)."""
    return {
        "url": canonical(kind, slug),
        "version": version,
        "name": computable_name(slug),
        "title": title,
        "status": "active",
        "experimental": True,
        "date": (date or dt.datetime.now(dt.UTC).date()).isoformat(),
        "publisher": PUBLISHER,
        "contact": [{"name": PUBLISHER}],
        "copyright": LICENSE,
    }


def code_system(
    *,
    resource_id: str,
    slug: str,
    version: str,
    title: str,
    description: str,
    concepts: list[dict[str, Any]],
    date: dt.date | None = None,
) -> dict[str, Any]:
    """A complete, case-sensitive ``CodeSystem`` of ``concepts``, validated."""
    resource = {
        "resourceType": "CodeSystem",
        "id": resource_id,
        **metadata(kind="codesystem", slug=slug, version=version, title=title, date=date),
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }
    return validated(resource)


def citations(keys: list[str]) -> list[dict[str, Any]]:
    """``relatedArtifact`` citations for reference keys (each once, in order)."""
    artifacts = []
    for key in dict.fromkeys(keys):
        ref = reference(key)
        artifact: dict[str, Any] = {"type": "citation", "label": key, "citation": ref.citation()}
        if ref.url:
            artifact["url"] = ref.url
        artifacts.append(artifact)
    return artifacts


def validated(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` validated with its R4B model and dumped back to JSON (no ``None`` fields)."""
    resource_type = str(data.get("resourceType", ""))
    if not re.fullmatch(r"[A-Z][A-Za-z]+", resource_type):
        raise InputError("not a FHIR resource", {"resourceType": f"got {resource_type!r}"})
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    model = getattr(module, resource_type)
    dumped: dict[str, Any] = model.model_validate(data).model_dump(mode="json", exclude_none=True)
    return dumped
