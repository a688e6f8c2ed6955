"""The newest schema revision this code ships, read from the migration scripts' names.

Each script of ``migrations/versions`` is named after its revision, numbered in
order (a test holds them to that), so the highest numbered name is the head
without importing Alembic or the database toolkit.
"""

from __future__ import annotations

from pathlib import Path

from stentguide.errors import StoreError

__all__ = ["MIGRATIONS", "shipped_head"]

MIGRATIONS = Path(__file__).parent / "migrations"
"""Alembic's script directory, shipped inside the package."""


def shipped_head() -> str:
    """The newest revision this code ships: the name of its highest numbered script."""
    names = sorted(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    if not names:
        raise StoreError("the registry ships no schema migrations")
    return names[-1]
