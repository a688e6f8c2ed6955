"""A step appended on the strength of a snapshot: the insert itself checks the snapshot.

When this registry's snapshot of a run holds the replayed session
(:mod:`stentguide.cases.run_read`), a change is decided on it and written without
reading the run first. The new events are inserted, in one statement, only if the
event before the first is stored (an ``INSERT ... SELECT ... WHERE EXISTS``), and
the events' key refuses them if another process stored a sequence number first: so the insert
succeeds exactly when the stored log is the snapshot's, and otherwise nothing is
written and the caller reads the run and decides again. One round trip less than
reading first.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.protocols.record import SessionRecord

__all__ = ["Changed", "SnapshotBehind", "insert_after", "outcome_update"]

_COLUMNS = ("run_id", "seq", "at", "type", "node", "data", "actor")
_AT_ONCE = 8
"""Most events written by one guarded statement (a step appends two or three)."""


@dataclass(frozen=True)
class Changed:
    """A change to a stored run: the new record, its outcome, and the session it replays to."""

    record: SessionRecord
    outcome_id: str | None
    outcome_category: str | None
    replayed: object | None = None


@functools.cache
def outcome_update() -> sa.Update:
    """Set a run's outcome columns (built once: building a statement costs more than running it)."""
    return (
        schema.runs.update()
        .where(schema.runs.c.id == sa.bindparam("run_id"))
        .values(
            outcome_id=sa.bindparam("outcome_id"),
            outcome_category=sa.bindparam("outcome_category"),
        )
    )


class SnapshotBehind(Exception):
    """The stored log does not end where the snapshot does; nothing was written."""


@functools.cache
def _guarded_insert(count: int) -> sa.Insert:
    """Insert ``count`` events if the run's event ``:after`` is stored (built once per count).

    One ``INSERT ... SELECT`` of the rows joined by ``UNION ALL``, each row under the
    same ``EXISTS`` guard: all the rows are written, or none.
    """
    events = schema.run_events
    before = events.alias("before")
    run_id = sa.bindparam("run_id", type_=events.c.run_id.type)
    guard = sa.exists().where(before.c.run_id == run_id, before.c.seq == sa.bindparam("after"))
    rows = [
        sa.select(
            run_id,
            *(sa.bindparam(f"{name}_{i}", type_=events.c[name].type) for name in _COLUMNS[1:]),
        ).where(guard)
        for i in range(count)
    ]
    values = rows[0] if count == 1 else sa.union_all(*rows)
    return events.insert().from_select(list(_COLUMNS), values).returning(events.c.seq)


def insert_after(conn: sa.Connection, new: Sequence[dict[str, Any]]) -> None:
    """Insert ``new`` (rows of consecutive events) after the stored event before the first.

    One statement writes them (up to eight), and only if that event is stored: else nothing
    is written and :class:`SnapshotBehind` is raised. The database's
    :class:`~sqlalchemy.exc.IntegrityError` goes through when a sequence number is taken.
    """
    guarded, rest = new[:_AT_ONCE], new[_AT_ONCE:]
    params: dict[str, Any] = {"run_id": new[0]["run_id"], "after": new[0]["seq"] - 1}
    for i, row in enumerate(guarded):
        params.update({f"{name}_{i}": row[name] for name in _COLUMNS[1:]})
    inserted = conn.execute(_guarded_insert(len(guarded)), params).first()
    if inserted is None:  # (the row count of INSERT ... SELECT is not reported on every driver)
        raise SnapshotBehind
    if rest:
        conn.execute(schema.run_events.insert(), rest)
