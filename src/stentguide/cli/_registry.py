"""What the registry's command groups share: the database and actor options, and opening it.

Every registry command takes ``--db URL`` (else ``$STENTGUIDE_DB``, else the
SQLite file in the user's data directory). Commands that change data, or that
are audited like an export, record who did it: ``--actor`` (else
``$STENTGUIDE_ACTOR``, else the login name).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stentguide.cli._common import OutputFormat
from stentguide.errors import InputError

if TYPE_CHECKING:
    from stentguide.cases import Registry

__all__ = ["DB_HELP", "ActorOption", "DbOption", "FormatOption", "existing_db", "open_registry"]

DB_HELP = (
    "Registry database: sqlite:///FILE or postgresql+psycopg://USER@HOST/NAME; "
    "else $STENTGUIDE_DB, else the registry file in your data folder. "
    "A SQLite FILE named here must exist ('db upgrade --db URL' creates one)."
)
"""The one description of ``--db``, used by every command that takes it."""

DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP, metavar="URL")]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor", help="Who makes the change (else $STENTGUIDE_ACTOR, else the login name)."
    ),
]

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def existing_db(db: str | None) -> str | None:
    """``db`` unchanged, after refusing a named SQLite file that does not exist.

    A typo in ``--db`` must not start a new, empty registry beside the real one:
    only ``stentguide db upgrade`` creates a database on purpose. ``$STENTGUIDE_DB``
    and the default file are created when first used, as before.
    """
    if db is None or not db.strip():
        return db
    path = _sqlite_file(db.strip())
    if path is not None and not path.exists():
        near = _near_files(path)
        hint = f"; did you mean {near}?" if near else ""
        raise InputError(
            f"--db: no database at {path.name}{hint} "
            f"(create one with 'stentguide db upgrade --db {db.strip()}')",
            {"db": f"{path} does not exist"},
        )
    return db


def _sqlite_file(url: str) -> Path | None:
    """The file a sqlite URL names (None for another database or an in-memory one)."""
    if not url.startswith("sqlite:"):
        return None
    rest = url.removeprefix("sqlite:").removeprefix("///")
    rest = rest.split("?", 1)[0]
    if not rest or rest in (":memory:", "//") or rest.startswith("file:"):
        return None
    return Path(rest).expanduser()


def _near_files(path: Path) -> str | None:
    import difflib

    folder = path.parent if str(path.parent) else Path(".")
    try:
        names = [p.name for p in folder.iterdir() if p.suffix in (".sqlite", ".db", ".sqlite3")]
    except OSError:
        return None
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return close[0] if close else None


def open_registry(db: str | None) -> Registry:
    """The registry at ``db`` (see :func:`stentguide.cases.resolve_database_url`), migrated.

    A ``--db`` naming a SQLite file that does not exist is refused (:func:`existing_db`).
    """
    from stentguide.cases import Registry

    return Registry.open(existing_db(db))
