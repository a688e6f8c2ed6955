"""The prefetched data of one call: the templates, what was sent, what may be read.

A prefetch key the client did not send is read from the client's FHIR server when
the call allows it (see :mod:`stentguide.interop.cds_hooks.client`); a key that
cannot be had, or that holds no FHIR resource, is named in ``problems``.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stentguide.interop.cds_hooks.client import Fetcher

__all__ = ["Prefetch", "bundle_resources", "coding_pairs", "render_template"]

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


@dataclass
class Prefetch:
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
        for resource in bundle_resources(value):
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


def bundle_resources(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    if value.get("resourceType") != "Bundle":
        return [dict(value)]
    entries = value.get("entry")
    out = []
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            out.append(resource)
    return out


def coding_pairs(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [
        (str(c.get("system", "")), str(c.get("code", "")))
        for c in (codings if isinstance(codings, list) else [])
        if isinstance(c, dict)
    ]
