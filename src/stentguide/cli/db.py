"""``stentguide db``: the registry database's schema status and upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from stentguide.cli._common import OutputFormat, console, handle_errors, print_json
from stentguide.cli._registry import DbOption, FormatOption, existing_db

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["register"]

db_app = typer.Typer(
    help="The registry database: schema status and upgrades.", no_args_is_help=True
)


@contextmanager
def _engine(db: str | None) -> Iterator[Engine]:
    from sqlalchemy.exc import DatabaseError

    from stentguide.cases.database import create_registry_engine, resolve_database_url
    from stentguide.errors import StoreError

    engine = create_registry_engine(resolve_database_url(db))
    try:
        yield engine
    except DatabaseError as exc:  # unreachable, refused, or not a database at all
        raise StoreError(f"cannot open the registry database: {exc.orig}") from None
    finally:
        engine.dispose()


@db_app.command("upgrade")
@handle_errors
def db_upgrade(db: DbOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """Create or migrate the database to the newest schema (the one command that creates one).

    Example: stentguide db upgrade --db sqlite:///registry.sqlite
    """
    from stentguide.cases.migrate import upgrade_schema

    with _engine(db) as engine:
        before = upgrade_schema(engine)
    if fmt is OutputFormat.json:
        print_json({"from": before.current, "to": before.head})
    else:
        console.print(f"schema {before.current or 'empty'} -> {before.head}")


@db_app.command("status")
@handle_errors
def db_status(db: DbOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """Show the database URL and its schema revision.

    Example: stentguide db status --db sqlite:///registry.sqlite
    """
    from stentguide.cases.migrate import schema_status

    with _engine(existing_db(db)) as engine:
        status = schema_status(engine)
        shown = engine.url.render_as_string(hide_password=True)
    if fmt is OutputFormat.json:
        print_json(
            {
                "url": shown,
                "current": status.current,
                "head": status.head,
                "up_to_date": status.up_to_date,
            }
        )
    else:
        console.print(f"{shown}: schema {status.current or 'empty'} (newest {status.head})")


def register(app: typer.Typer) -> None:
    """Add the ``db`` group to the main app."""
    app.add_typer(db_app, name="db")
