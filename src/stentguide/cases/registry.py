"""One registry database: its connection, its schema migrations and its transactions.

The tables have one store each, reached from here: :attr:`Registry.cases`
(:class:`~stentguide.cases.case_store.CaseStore`), :attr:`Registry.runs`
(:class:`~stentguide.cases.run_log.RunLog`), :attr:`Registry.audit`
(:class:`~stentguide.cases.audit.AuditLog`) and :attr:`Registry.users`
(:class:`~stentguide.cases.users.UserStore`). Every write is one transaction: a
crash or a kill half-way leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError

from stentguide.cases.database import READ_ONLY, create_registry_engine, resolve_database_url
from stentguide.cases.migrate import SchemaStatus, schema_status, upgrade_schema
from stentguide.errors import StoreError

if TYPE_CHECKING:
    from stentguide.cases.audit import AuditLog
    from stentguide.cases.case_store import CaseStore
    from stentguide.cases.run_log import RunLog
    from stentguide.cases.users import UserStore

__all__ = ["Registry"]


class Registry:
    """A case registry in one SQLite file or PostgreSQL database.

    Open with :meth:`open`, which migrates the schema to the newest this code
    knows. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Registry:
        """Open the registry at ``url`` (see :func:`resolve_database_url`)."""
        engine = create_registry_engine(resolve_database_url(url))
        try:
            if migrate:
                upgrade_schema(engine)
            else:
                status = schema_status(engine)
                if not status.up_to_date:
                    raise StoreError(
                        f"the database schema is at {status.current!r}, not {status.head!r}: "
                        "run `stentguide db upgrade`"
                    )
        except DatabaseError as exc:  # unreachable, refused, or not a database at all
            engine.dispose()
            raise StoreError(f"cannot open the registry database: {exc.orig}") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    # ------------------------------------------------------------------ the stores
    @cached_property
    def cases(self) -> CaseStore:
        """Cases and their complications."""
        from stentguide.cases.case_store import CaseStore

        return CaseStore(self)

    @cached_property
    def runs(self) -> RunLog:
        """Protocol runs: their append-only event log."""
        from stentguide.cases.run_log import RunLog

        return RunLog(self)

    @cached_property
    def audit(self) -> AuditLog:
        """Who changed what, and when."""
        from stentguide.cases.audit import AuditLog

        return AuditLog(self)

    @cached_property
    def users(self) -> UserStore:
        """Web app users and their roles."""
        from stentguide.cases.users import UserStore

        return UserStore(self)

    # ------------------------------------------------------------------ connection
    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def status(self) -> SchemaStatus:
        """The schema revision of the database and the newest this code knows."""
        return schema_status(self.engine)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading: on SQLite it takes no write lock."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            yield conn

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One transaction; a refusal or failure of the database is a :class:`StoreError`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise StoreError(f"the registry refused the write: {exc.orig}") from None
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise StoreError(f"the registry database failed the write: {exc.orig}") from None
            raise StoreError(f"the registry refused the write: {exc.orig}") from None
