"""The counts of a search kept in the database, read straight through the driver.

``stentguide cases stats`` is a new process each time. When the database keeps
counts of the search at the registry's current version (see
:mod:`stentguide.cases.counts`), :func:`read_kept_counts` reads them with the
database's own driver (``sqlite3``, or psycopg for PostgreSQL) in one query,
without loading SQLAlchemy, the schema migrations or the case store: they cost
more to import than the answer takes to read. It answers ``None`` whenever it
cannot be sure, and the caller then opens the registry the usual way, which
counts, keeps and migrates as always: a URL form it does not read itself, a
database it cannot reach, a schema not at this code's newest revision, or no
counts kept at the current version.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from stentguide.cases.cells import RegistryCounts, decoded, kept_counts_query, search_key
from stentguide.cases.filters import CaseFilter
from stentguide.cases.revision import shipped_head

__all__ = ["read_kept_counts"]

_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")
_POSTGRES_PREFIXES = ("postgresql://", "postgresql+psycopg://")


def read_kept_counts(url: str, where: CaseFilter | None = None) -> RegistryCounts | None:
    """The counts the database at ``url`` keeps for ``where`` at its current version, else None."""
    search = search_key(where or CaseFilter())
    row: tuple[Any, ...] | None
    if url.startswith(_SQLITE_PREFIXES):
        row = _sqlite_row(url.split(":///", 1)[1], search)
    elif url.startswith(_POSTGRES_PREFIXES):
        row = _postgres_row("postgresql://" + url.split("://", 1)[1], search)
    else:
        return None
    if row is None:
        return None
    revision, _version, counts = row
    if revision != shipped_head() or counts is None:
        return None
    return decoded(str(counts))


def _sqlite_row(path: str, search: str) -> tuple[Any, ...] | None:
    """The kept-counts row of a SQLite file named plainly (no URI form, no options)."""
    if not path or "?" in path or path == ":memory:" or path.startswith("file:"):
        return None
    file = Path(path).expanduser()
    if not file.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{quote(str(file))}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    with contextlib.closing(connection):
        try:
            found = connection.execute(kept_counts_query(":search"), {"search": search}).fetchone()
        except sqlite3.Error:
            return None
    return tuple(found) if found is not None else None


def _postgres_row(conninfo: str, search: str) -> tuple[Any, ...] | None:
    """The kept-counts row of a PostgreSQL database, by its libpq URL."""
    import psycopg

    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
            found = connection.execute(
                kept_counts_query("%(search)s"), {"search": search}
            ).fetchone()
    except psycopg.Error:
        return None
    return tuple(found) if found is not None else None
