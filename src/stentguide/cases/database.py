"""Where the registry lives and how to reach it.

One SQLite file in the user's data directory serves a single user with no
set-up; a team points every client at one PostgreSQL database by URL. The URL is
chosen in this order: an explicit ``--db`` value, the ``STENTGUIDE_DB``
environment variable, then the default SQLite file
(:mod:`stentguide.cases.location`).

SQLite is opened in WAL mode (readers never block the writer) with foreign keys
on, a generous busy timeout, and every transaction started with
``BEGIN IMMEDIATE`` so that two writing processes queue for the write lock
instead of failing half-way through with "database is locked"; read-only
connections (``execution_options(stentguide_read_only=True)``) take no lock.
Within one process, writers also queue on a lock of their own before
``BEGIN IMMEDIATE`` and hand it on the moment they commit or roll back: SQLite's
busy handler polls with sleeps of up to 100 ms, which under a few concurrent
writers (a web server's threads) made the slowest write wait for the poll, not
for the lock. Other processes still meet the busy timeout.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from stentguide.cases.location import DB_ENV, default_database_url, resolve_database_url
from stentguide.errors import InputError, StoreError

__all__ = [
    "DB_ENV",
    "READ_ONLY",
    "WAIT_AT_MOST",
    "create_registry_engine",
    "default_database_url",
    "resolve_database_url",
]

_SQLITE_BUSY_TIMEOUT_MS = 60_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


READ_ONLY = "stentguide_read_only"
WAIT_AT_MOST = "stentguide_wait_at_most"
"""Execution option: seconds a SQLite write may wait for the lock, instead of a minute.

For a write that can be given up, such as keeping counts for later: a transaction
begun with it raises :class:`~stentguide.errors.StoreError` when another writer
holds the database longer than that.
"""


_WRITE_LOCK = "stentguide_write_lock"
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(database: str | None) -> threading.RLock:
    """The in-process lock of the writers of one SQLite file (one per file, not per engine)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return threading.RLock()  # a database of its own engine
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(os.path.realpath(database), threading.RLock())


def _send_begin(connection: sa.Connection, statement: str) -> None:
    """``statement`` (a ``BEGIN``) sent on the driver's connection itself.

    Through :meth:`~sqlalchemy.Connection.exec_driver_sql` a ``BEGIN`` cost about as
    much CPU as the insert of a protocol step; a refusal is raised as SQLAlchemy raises
    one (a :class:`~sqlalchemy.exc.DBAPIError` such as ``OperationalError``).
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    try:
        raw.execute(statement).close()
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def _begin_briefly(connection: sa.Connection, lock: threading.RLock, seconds: float) -> None:
    """``BEGIN IMMEDIATE`` waiting at most ``seconds`` for the lock (see :data:`WAIT_AT_MOST`)."""
    if not lock.acquire(timeout=seconds):
        raise StoreError("the registry is busy with another write")
    raw = connection.connection.dbapi_connection
    assert raw is not None
    try:
        raw.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}").close()
        try:
            _send_begin(connection, "BEGIN IMMEDIATE")
        finally:
            raw.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}").close()
    except sa.exc.OperationalError as exc:
        lock.release()
        raise StoreError(f"the registry is busy with another write: {exc.orig}") from None
    except BaseException:
        lock.release()
        raise
    connection.info[_WRITE_LOCK] = lock


def _sqlite_begin(lock: threading.RLock) -> Any:
    def on_begin(connection: sa.Connection) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ONLY, False):
            _send_begin(connection, "BEGIN")
            return
        if options.get(WAIT_AT_MOST) is not None:
            _begin_briefly(connection, lock, float(options[WAIT_AT_MOST]))
            return
        # past the busy timeout, BEGIN IMMEDIATE itself waits and fails as it would alone
        if not lock.acquire(timeout=_SQLITE_BUSY_TIMEOUT_MS / 1000):
            _send_begin(connection, "BEGIN IMMEDIATE")
            return
        try:
            _send_begin(connection, "BEGIN IMMEDIATE")
        except BaseException:
            lock.release()
            raise
        connection.info[_WRITE_LOCK] = lock

    return on_begin


_CHECKPOINT_EVERY = 200
"""Commits between two WAL checkpoints (SQLite's own default is about every 1000 pages)."""


class _Checkpointer:
    """Copies the WAL back into the database file in a thread of its own, one at a time.

    SQLite's automatic checkpoint ran inside a commit, while the in-process write
    lock was held, so every waiting writer also waited for its disk flush. A
    passive checkpoint on a connection of its own blocks no reader or writer.
    """

    def __init__(self, database: str) -> None:
        self._database = database
        self._commits = itertools.count(1)
        self._running = threading.Lock()

    def committed(self) -> None:
        if next(self._commits) % _CHECKPOINT_EVERY == 0 and self._running.acquire(blocking=False):
            threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True).start()

    def _run(self) -> None:
        try:
            with contextlib.closing(sqlite3.connect(self._database, timeout=60)) as conn:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
        except sqlite3.Error:
            pass  # the next one retries; SQLite also checkpoints when the last connection closes
        finally:
            self._running.release()


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    """Checkpoints run in a thread of their own (:class:`_Checkpointer`), not in a commit."""
    dbapi_connection.execute("PRAGMA wal_autocheckpoint = 0").close()


def _sqlite_end(finish: str, checkpointer: _Checkpointer | None) -> Any:
    """On commit or rollback: finish the transaction at once, then hand the lock on."""

    def on_end(connection: sa.Connection) -> None:
        lock = connection.info.pop(_WRITE_LOCK, None)
        if lock is None:
            return
        try:  # the driver's own commit/rollback that follows finds no transaction left
            getattr(connection.connection.dbapi_connection, finish)()
        finally:
            lock.release()
        if finish == "commit" and checkpointer is not None:
            checkpointer.committed()

    return on_end


def _on_sqlite_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
    lock = record.info.pop(_WRITE_LOCK, None)
    if lock is not None:  # returned to the pool in a transaction: the pool rolls it back
        lock.release()


_IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "stentguide_checked_in"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Test a pooled PostgreSQL connection that sat idle before handing it out.

    A connection in steady use needs no test (a failure on it is still reported and
    the pool discards it); one idle for a while may have been closed by the server
    or a firewall, and is replaced without the caller seeing it. Testing every
    checkout (``pool_pre_ping``) cost a round trip per transaction.
    """
    idle_since = record.info.get(_CHECKED_IN)
    if idle_since is None or time.monotonic() - idle_since < _IDLE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:  # the pool retries with a fresh connection
        raise sa.exc.DisconnectionError(str(exc)) from exc


_POOL: dict[str, Any] = {"pool_size": 16, "max_overflow": 16}
"""Connections kept open for reuse, and how many more may open for a while.

SQLAlchemy keeps 5 by default. The web server answers up to 40 requests at once
in its worker threads, so at 8 clients a pool of 5 closed a connection after
nearly every request and opened another for the next (a new PostgreSQL session
each time, or a SQLite file opened and set up again).
"""


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
        file = None
        if database and database != ":memory:" and not database.startswith("file:"):
            file = Path(database).expanduser()
            file.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(  # an in-memory database has one connection per thread
            parsed,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000},
            **(_POOL if file is not None else {}),
        )
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        lock = _write_lock(database)
        sa.event.listen(engine, "begin", _sqlite_begin(lock))
        checkpointer = None
        if file is not None:
            checkpointer = _Checkpointer(str(file))
            sa.event.listen(engine, "connect", _no_autocheckpoint)
        sa.event.listen(engine, "commit", _sqlite_end("commit", checkpointer))
        sa.event.listen(engine, "rollback", _sqlite_end("rollback", None))
        sa.event.listen(engine, "reset", _on_sqlite_reset)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(parsed, **_POOL)
        sa.event.listen(engine, "checkout", _ping_if_idle)
        sa.event.listen(engine, "checkin", _note_checkin)
        return engine
    raise InputError(
        "unsupported database",
        {"db": f"{backend!r}: use sqlite:///FILE or postgresql+psycopg://..."},
    )
