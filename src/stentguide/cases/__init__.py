"""The case registry: cases, protocol runs, users and the audit log.

Open a registry with :meth:`Registry.open` (an SQLite file in the user's data
directory by default, PostgreSQL by URL); the schema is migrated on open.

The names below are imported from their modules on first use, so that a
command which only counts the registry (``stentguide cases stats``) does not
pay for the validated case models, the case store or the migrations it does
not run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stentguide.cases.audit import AuditEntry
    from stentguide.cases.filters import CaseFilter
    from stentguide.cases.location import default_database_url, resolve_database_url
    from stentguide.cases.model import CaseIn, Complication, Lesion, RunSummary, StoredCase
    from stentguide.cases.registry import Registry
    from stentguide.cases.vocabulary import Access, ComplicationKind, RetrievalTechnique, Vessel

__all__ = [
    "Access",
    "AuditEntry",
    "CaseFilter",
    "CaseIn",
    "Complication",
    "ComplicationKind",
    "Lesion",
    "Registry",
    "RetrievalTechnique",
    "RunSummary",
    "StoredCase",
    "Vessel",
    "default_database_url",
    "resolve_database_url",
]

_HOMES = {
    "Access": "vocabulary",
    "AuditEntry": "audit",
    "CaseFilter": "filters",
    "CaseIn": "model",
    "Complication": "model",
    "ComplicationKind": "vocabulary",
    "Lesion": "model",
    "Registry": "registry",
    "RetrievalTechnique": "vocabulary",
    "RunSummary": "model",
    "StoredCase": "model",
    "Vessel": "vocabulary",
    "default_database_url": "location",
    "resolve_database_url": "location",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"stentguide.cases.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
