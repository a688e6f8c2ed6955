"""Schema migrations (Alembic), run when the registry opens.

The migration scripts ship inside the package (``migrations/``). Opening a
registry upgrades an older database to the newest schema this code knows, in
one transaction under a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock
on PostgreSQL), so that two clients starting together do not both try. A
database whose schema is newer than the code (written by a later stentguide)
is refused with a message saying so, rather than being misread.

A database already at the newest schema is recognised by one query of its
``alembic_version`` table, without importing or running Alembic: each script
of ``migrations/versions`` is named after its revision, numbered in order, so
the newest one's name is the head (a test holds the scripts to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from stentguide.cases.database import READ_ONLY
from stentguide.cases.revision import MIGRATIONS, shipped_head
from stentguide.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["SchemaStatus", "schema_status", "upgrade_schema"]

_PG_LOCK_KEY = 0x5354454E54


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands: its schema revision and the newest this code knows."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _recorded_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version``, or None when it cannot be read (no table yet)."""
    with engine.connect() as connection:  # a database that cannot be reached fails here
        connection.execution_options(**{READ_ONLY: True})
        try:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        except sa.exc.DBAPIError:
            return None
    return str(rows[0][0]) if len(rows) == 1 else None


def _at_head(engine: Engine) -> SchemaStatus | None:
    """The status of a database already at the newest schema, read without Alembic, else None."""
    head = shipped_head()
    return SchemaStatus(current=head, head=head) if _recorded_revision(engine) == head else None


def _config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def _head(script: ScriptDirectory) -> str:
    head = script.get_current_head()
    if head is None:
        raise StoreError("the registry ships no schema migrations")
    return head


def _current(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _refuse_newer(current: str | None, script: ScriptDirectory, url: str) -> None:
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the database {url} has schema revision {current!r}, newer than this version of "
            f"stentguide knows (latest {_head(script)!r}); upgrade stentguide to use it"
        )


def schema_status(engine: Engine) -> SchemaStatus:
    """The schema revision of the database behind ``engine`` (``None`` when empty)."""
    quick = _at_head(engine)
    if quick is not None:
        return quick
    script = _script()
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        current = _current(connection)
    _refuse_newer(current, script, engine.url.render_as_string(hide_password=True))
    return SchemaStatus(current=current, head=_head(script))


def upgrade_schema(engine: Engine) -> SchemaStatus:
    """Bring the database to the newest schema; return the status it had before.

    Raises :class:`StoreError` when the database is newer than this code.
    """
    quick = _at_head(engine)
    if quick is not None:
        return quick
    from alembic import command

    script = _script()
    url = engine.url.render_as_string(hide_password=True)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = _current(connection)
        _refuse_newer(before, script, url)
        if before != _head(script):
            command.upgrade(_config(connection), "head")
    return SchemaStatus(current=before, head=_head(script))
