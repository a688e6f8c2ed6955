"""The case registry: cases, protocol runs, users and the audit log.

Open a registry with :meth:`Registry.open` (an SQLite file in the user's data
directory by default, PostgreSQL by URL); the schema is migrated on open.
"""

from __future__ import annotations

from stentguide.cases.audit import AuditEntry
from stentguide.cases.case_store import CaseFilter
from stentguide.cases.database import default_database_url, resolve_database_url
from stentguide.cases.model import (
    Access,
    CaseIn,
    Complication,
    ComplicationKind,
    Lesion,
    RetrievalTechnique,
    RunSummary,
    StoredCase,
    Vessel,
)
from stentguide.cases.registry import Registry

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
