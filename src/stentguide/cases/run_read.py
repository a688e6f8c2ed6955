"""Reading one stored run in one query, and the snapshots that keep a step O(1).

A run's events only ever grow (the database refuses UPDATE and DELETE on them),
so what was read of a run once stays a true prefix of it. :class:`Snapshots`
keeps, per registry and per run, the last record read or written together with
what the caller made of it (the engine's replayed session); :func:`read_run`
then asks the database only for the run's row, its newest ``seq`` and the events
after the snapshot's, in one query. With no new events the snapshot is used as
it is, with its replayed session; with new ones (another server process
appended) they are validated and added, and the caller replays; a log shorter
than the snapshot (a database restored from a backup) drops the snapshot.
Nothing is trusted that the database has not just confirmed.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import sqlalchemy as sa
from pydantic import ValidationError

from stentguide.cases import schema
from stentguide.errors import NotFoundError, StoreError
from stentguide.protocols.record import SessionRecord, event_from_row

__all__ = ["Snapshots", "StoredRun", "read_run"]

_EVENT_COLUMNS = ("seq", "at", "type", "node", "data")


@dataclass(frozen=True)
class StoredRun:
    """A run as stored: its record, the case it is attached to and its stored outcome.

    ``replayed`` is what a caller made of exactly this record (the engine's
    session), kept with a snapshot so that the next change need not replay it.
    """

    record: SessionRecord
    case_uid: str | None
    outcome_id: str | None
    outcome_category: str | None
    created_by: str
    replayed: object | None = None


class Snapshots:
    """The newest known state of recently used runs, least recently used dropped first."""

    def __init__(self, limit: int = 512) -> None:
        # runs in progress are few at any time; every object kept also lengthens each full
        # garbage collection (2,048 runs added about 60 ms to one, a pause for every request)
        self._limit = limit
        self._runs: OrderedDict[str, StoredRun] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_id: str) -> StoredRun | None:
        with self._lock:
            found = self._runs.get(run_id)
            if found is not None:
                self._runs.move_to_end(run_id)
            return found

    def put(self, stored: StoredRun) -> None:
        """Keep ``stored`` unless a longer state of the same run is already kept."""
        run_id = stored.record.session_id
        with self._lock:
            kept = self._runs.get(run_id)
            if kept is not None and len(kept.record.events) > len(stored.record.events):
                return
            self._runs[run_id] = stored
            self._runs.move_to_end(run_id)
            while len(self._runs) > self._limit:
                self._runs.popitem(last=False)

    def drop(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)


@functools.cache
def _query() -> sa.Select[tuple[object, ...]]:
    """The run's row, its newest ``seq`` and its events after ``:after`` (built once)."""
    r, e = schema.runs.c, schema.run_events.c
    logged = schema.run_events.alias("logged")
    newest = (
        sa.select(sa.func.max(logged.c.seq))
        .where(logged.c.run_id == r.id)
        .correlate(schema.runs)
        .scalar_subquery()
    )
    return (
        sa.select(
            r.id,
            r.protocol_id,
            r.protocol_version,
            r.case_data,
            r.outcome_id,
            r.outcome_category,
            r.created_by,
            schema.cases.c.uid.label("case_uid"),
            newest.label("last_seq"),
            *(getattr(e, name) for name in _EVENT_COLUMNS),
        )
        .select_from(
            schema.runs.outerjoin(
                schema.run_events, sa.and_(e.run_id == r.id, e.seq > sa.bindparam("after"))
            ).outerjoin(schema.cases, schema.cases.c.id == r.case_id)
        )
        .where(r.id == sa.bindparam("run_id"))
        .order_by(e.seq)
    )


def read_run(conn: sa.Connection, run_id: str, known: StoredRun | None) -> StoredRun:
    """The stored run, in one query; only the events after ``known``'s are read and checked."""
    after = len(known.record.events) - 1 if known is not None else -1
    rows = conn.execute(_query(), {"run_id": run_id, "after": after}).mappings().all()
    if not rows:
        raise NotFoundError("run", run_id, "run_id")
    first = rows[0]
    last_seq = -1 if first["last_seq"] is None else int(first["last_seq"])
    tail = [row for row in rows if row["seq"] is not None]
    if known is not None and last_seq != after + len(tail):
        return read_run(conn, run_id, None)  # the log is not what was kept: read it whole
    try:
        events = [event_from_row({k: row[k] for k in _EVENT_COLUMNS}) for row in tail]
        if known is None:
            record = SessionRecord(
                session_id=first["id"],
                protocol_id=first["protocol_id"],
                protocol_version=first["protocol_version"],
                case=first["case_data"],
                events=events,
            )
        elif events:
            # the kept prefix was validated when read or written; the new events are checked
            # here and must continue it
            for index, event in enumerate(events, start=after + 1):
                if event.seq != index:
                    raise StoreError(f"run {run_id}: event {index} is missing from the log")
            record = known.record.model_copy(update={"events": [*known.record.events, *events]})
        else:
            record = known.record
    except ValidationError as exc:
        first_error = exc.errors()[0]
        where = ".".join(str(part) for part in first_error["loc"])
        raise StoreError(
            f"run {run_id} is stored in a shape this version cannot read "
            f"({where}: {first_error['msg']})"
        ) from None
    stored = StoredRun(
        record=record,
        case_uid=first["case_uid"],
        outcome_id=first["outcome_id"],
        outcome_category=first["outcome_category"],
        created_by=first["created_by"],
    )
    if known is not None and not events and known.replayed is not None:
        stored = replace(stored, replayed=known.replayed)
    return stored
