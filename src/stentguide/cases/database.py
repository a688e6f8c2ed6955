"""Where the registry lives and how to reach it.

One SQLite file in the user's data directory serves a single user with no
set-up; a team points every client at one PostgreSQL database by URL. The URL is
chosen in this order: an explicit ``--db`` value, the ``STENTGUIDE_DB``
environment variable, then the default SQLite file.

SQLite is opened in WAL mode (readers never block the writer) with foreign keys
on, a generous busy timeout, and every transaction started with
``BEGIN IMMEDIATE`` so that two writing processes queue for the write lock
instead of failing half-way through with "database is locked"; read-only
connections (``execution_options(stentguide_read_only=True)``) take no lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from stentguide.errors import InputError

__all__ = [
    "DB_ENV",
    "READ_ONLY",
    "create_registry_engine",
    "default_database_url",
    "resolve_database_url",
]

DB_ENV = "STENTGUIDE_DB"
_SQLITE_BUSY_TIMEOUT_MS = 60_000


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


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


READ_ONLY = "stentguide_read_only"


def _on_sqlite_begin(connection: sa.Connection) -> None:
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_registry_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings the registry relies on.

    Raises :class:`InputError` (field ``db``) for a URL that is malformed or
    names a database kind other than SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError("bad database URL", {"db": str(exc)}) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise InputError(
        "unsupported database",
        {"db": f"{backend!r}: use sqlite:///FILE or postgresql+psycopg://..."},
    )
