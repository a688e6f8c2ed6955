"""Where the registry is: the database URL given, else ``$STENTGUIDE_DB``, else a file.

Kept apart from the database engine (:mod:`stentguide.cases.database`) so that
finding the registry does not import the database toolkit.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["DB_ENV", "default_database_url", "resolve_database_url"]

DB_ENV = "STENTGUIDE_DB"


def default_database_url() -> str:
    """The SQLite file used when no URL is given: ``<user data dir>/stentguide/registry.sqlite``."""
    folder = Path(platformdirs.user_data_dir("stentguide", appauthor=False))
    return f"sqlite:///{folder / 'registry.sqlite'}"


def resolve_database_url(explicit: str | None = None) -> str:
    """The database URL to use: ``explicit``, else ``$STENTGUIDE_DB``, else the default file."""
    for candidate in (explicit, os.environ.get(DB_ENV)):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return default_database_url()
