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

    plan = [(key, processors[key]) for key in keys]
    if compiled.positional:
        order = compiled.positiontup or []
        plan = [(key, processors[key]) for key in order]
    last: dict[str, tuple[Any, Any]] = {}

    def convert(key: str, process: Callable[[Any], Any], value: Any) -> Any:
        if value is None:
            return value
        seen = last.get(key)
        if seen is not None and seen[0] is value:  # a value shared by every row (a timestamp)
            return seen[1]
        out = process(value)
        last[key] = (value, out)
        return out

    params: list[Any]
    if compiled.positional:
        params = [
            tuple([row[k] if p is None else convert(k, p, row[k]) for k, p in plan])
            for row in rows
        ]
    else:
        params = [
            {k: row[k] if p is None else convert(k, p, row[k]) for k, p in plan} for row in rows
        ]
    conn.exec_driver_sql(compiled.string, params)
