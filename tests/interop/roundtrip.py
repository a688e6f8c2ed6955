"""The round-trip check every exported resource must pass."""

from __future__ import annotations

import importlib
import json
from typing import Any


def assert_round_trips(resource: dict[str, Any]) -> None:
    """Validate with the R4B model; JSON out, JSON back in, and the same resource again."""
    kind = resource["resourceType"]
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
    parsed = model.model_validate(resource)
    text = parsed.model_dump_json(exclude_none=True)
    again = model.model_validate_json(text)
    assert again == parsed
    assert json.loads(again.model_dump_json(exclude_none=True)) == json.loads(text)
    assert json.loads(text) == resource, f"{kind}: the export changes when parsed"
