"""Many rows into one table at the speed of the driver's own bulk path.

SQLAlchemy's per-row parameter handling costs more than the database's own
work for a bulk insert. :func:`insert_rows` takes rows as tuples in a given
column order, converts each column with the type's own bind processor (the
same conversion SQLAlchemy applies, so the stored values are identical) except
the columns the caller has already made ready for the driver (JSON text
serialised once), and hands them to the driver in one call, inside the
caller's transaction: ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3), one
``executemany`` elsewhere. A database refusal is raised as SQLAlchemy's
exception (``IntegrityError`` for a unique or foreign key), as for any other
statement.

:func:`new_ids` reserves primary keys for rows about to be inserted, so that
the rows that refer to them (complications) need no query after the insert.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["insert_rows", "new_ids"]


def new_ids(conn: sa.Connection, column: sa.Column[int], count: int) -> list[int]:
    """``count`` unused values of the integer primary key ``column``, ascending.

    PostgreSQL: drawn from the column's sequence (safe beside other writers).
    SQLite: the numbers after the largest stored, which is what SQLite itself
    would give; safe because every registry write transaction holds the write
    lock from its start (``BEGIN IMMEDIATE``).
    """
    if count <= 0:
        return []
    table = column.table
    if conn.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(
            conn.dialect.identifier_preparer.format_table(table), column.name
        )
        drawn = sa.select(sa.func.nextval(sequence)).select_from(
            sa.func.generate_series(1, count)
        )
        return sorted(conn.execute(drawn).scalars())
    largest = conn.execute(sa.select(sa.func.coalesce(sa.func.max(column), 0))).scalar_one()
    return list(range(largest + 1, largest + 1 + count))


def insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ready: Collection[str] = (),
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one driver call.

    The values of the ``ready`` columns are passed as they are (JSON columns as
    JSON text); the others go through their type's bind processor.
    """
    if not rows:
        return
    dialect = conn.dialect
    converted = _converted(dialect, table, columns, rows, ready)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy(conn, table, columns, converted)
        return
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional:
        conn.exec_driver_sql(
            compiled.string, [dict(zip(columns, row, strict=True)) for row in converted]
        )
        return
    order = [columns.index(key) for key in compiled.positiontup or []]
    if order != list(range(len(columns))):
        converted = [tuple([row[i] for i in order]) for row in converted]
    conn.exec_driver_sql(compiled.string, converted)


def _converted(
    dialect: sa.Dialect,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    ready: Collection[str],
) -> Sequence[Sequence[Any]]:
    """The rows with each value through its column's bind processor (where it has one)."""
    steps: list[tuple[int, Callable[[Any], Any]]] = []
    for index, key in enumerate(columns):
        if key in ready:
            continue
        found = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if found is not None:
            steps.append((index, found))
    if not steps:
        return rows
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, process in steps:
        values = by_column[index]
        first = values[0]
        if all(value is first for value in values):  # one value for every row (a timestamp)
            by_column[index] = (None if first is None else process(first),) * len(values)
        else:
            by_column[index] = [None if value is None else process(value) for value in values]
    return list(zip(*by_column, strict=True))


def _copy(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``COPY table (columns) FROM STDIN`` through psycopg 3, in the connection's transaction."""
    quote = conn.dialect.identifier_preparer
    statement = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
        "FROM STDIN"
    )
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, conn.dialect.loaded_dbapi.Error
        ) from exc
    finally:
        cursor.close()
