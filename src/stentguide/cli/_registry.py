"""What the registry's command groups share: the database and actor options, and opening it.

Every registry command takes ``--db URL`` (else ``$STENTGUIDE_DB``, else the
SQLite file in the user's data directory). Commands that change data, or that
are audited like an export, record who did it: ``--actor`` (else
``$STENTGUIDE_ACTOR``, else the login name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stentguide.cli._common import OutputFormat

if TYPE_CHECKING:
    from stentguide.cases import Registry

__all__ = ["ActorOption", "DbOption", "FormatOption", "open_registry"]

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (else $STENTGUIDE_DB, else a local file).")
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor", help="Who makes the change (else $STENTGUIDE_ACTOR, else the login name)."
    ),
]

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def open_registry(db: str | None) -> Registry:
    """The registry at ``db`` (see :func:`stentguide.cases.resolve_database_url`), migrated."""
    from stentguide.cases import Registry

    return Registry.open(db)
