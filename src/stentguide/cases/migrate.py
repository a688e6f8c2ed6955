"""Schema migrations (Alembic), run when the registry opens.

The migration scripts ship inside the package (``migrations/``). Opening a
registry upgrades an older database to the newest schema this code knows, in
one transaction under a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock
on PostgreSQL), so that two clients starting together do not both try. A
database whose schema is newer than the code (written by a later stentguide)
is refused with a message saying so, rather than being misread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from stentguide.cases.database import READ_ONLY
from stentguide.errors import StoreError

__all__ = ["SchemaStatus", "schema_status", "upgrade_schema"]

_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x5354454E54


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands: its schema revision and the newest this code knows."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _head(script: ScriptDirectory) -> str:
    head = script.get_current_head()
    if head is None:
        raise StoreError("the registry ships no schema migrations")
    return head


def _current(connection: sa.Connection) -> str | None:
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
