"""Storing a whole session record: a new run, or the events a stored run has not seen.

Used by :meth:`stentguide.cases.run_log.RunLog.save` (and ``save_in``, inside an
import's transaction); a record that rewrites or drops a stored event is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.cases.audit import utc_now
from stentguide.errors import StoreError
from stentguide.protocols.record import SessionRecord

__all__ = ["events_to_append", "insert_run"]


def insert_run(
    conn: sa.Connection,
    record: SessionRecord,
    *,
    who: str,
    case_id: int | None,
    outcome: Mapping[str, str | None],
) -> None:
    conn.execute(
        schema.runs.insert(),
        {
            "id": record.session_id,
            "case_id": case_id,
            "format": record.format,
            "protocol_id": record.protocol_id,
            "protocol_version": record.protocol_version,
            "case_data": record.case.model_dump(mode="json"),
            **outcome,
            "created_at": utc_now(),
            "created_by": who,
        },
    )
    if record.events:
        conn.execute(
            schema.run_events.insert(),
            [{"run_id": record.session_id, **event.row(), "actor": who} for event in record.events],
        )


def events_to_append(
    conn: sa.Connection,
    record: SessionRecord,
    stored: sa.RowMapping,
    case_id: int | None,
) -> list[dict[str, Any]]:
    """The given events the database has not seen; refuses any rewrite of history."""
    sid = record.session_id
    if (stored["protocol_id"], stored["protocol_version"]) != (
        record.protocol_id,
        record.protocol_version,
    ):
        raise StoreError(
            f"run {sid} is stored for protocol {stored['protocol_id']} "
            f"{stored['protocol_version']}, not {record.protocol_id} {record.protocol_version}"
        )
    if stored["case_data"] != record.case.model_dump(mode="json"):
        raise StoreError(f"run {sid}: the session's case differs from the stored one")
    if case_id is not None and stored["case_id"] not in (None, case_id):
        raise StoreError(f"run {sid} is already attached to another case")
    e = schema.run_events.c
    old = [
        dict(row)
        for row in conn.execute(
            sa.select(e.seq, e.at, e.type, e.node, e.data).where(e.run_id == sid).order_by(e.seq)
        ).mappings()
    ]
    events = [event.row() for event in record.events]
    if len(old) > len(events):
        raise StoreError(
            f"run {sid} has {len(old)} stored events but the session has {len(events)}: "
            "the event log is append-only"
        )
    for stored_event, given in zip(old, events, strict=False):
        if stored_event != given:
            raise StoreError(
                f"run {sid}: event {given['seq']} differs from the stored one: "
                "the event log is append-only"
            )
    return events[len(old) :]
