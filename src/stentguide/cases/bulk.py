"""Many rows into one table at the speed of the driver's ``executemany``.

SQLAlchemy's per-row parameter handling costs more than the database's own
work for a bulk insert; :func:`insert_many` compiles the ``INSERT`` once,
converts each column with the type's own bind processor (the same conversion
SQLAlchemy applies, so the stored values are identical) and hands the rows to
the driver in one ``executemany``, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["insert_many"]


def insert_many(
    conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in one driver call."""
    if not rows:
        return
    keys = list(rows[0])
    dialect = conn.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    processors: dict[str, Callable[[Any], Any] | None] = {
        key: table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        for key in keys
    }

    def bind(row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in keys:
            value = row[key]
            process = processors[key]
            out[key] = process(value) if process is not None and value is not None else value
        return out

    bound = [bind(row) for row in rows]
    if compiled.positional:
        order = compiled.positiontup or []
        params: list[Any] = [tuple(row[key] for key in order) for row in bound]
    else:
        params = bound
    conn.exec_driver_sql(compiled.string, params)
