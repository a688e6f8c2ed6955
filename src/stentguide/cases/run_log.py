"""Protocol runs: the append-only event log of every session, and its summaries.

:meth:`RunLog.save` appends the events the database has not seen and refuses a
session whose history differs from what is stored; the database itself refuses
UPDATE and DELETE on the event table. Sessions are stored in the one wire format
of :mod:`stentguide.protocols.record`.

Recording one step of a run in progress is one transaction of three statements
at most (:meth:`RunLog.change`): one query reads the run and the events after
the registry's snapshot of it (:mod:`stentguide.cases.run_read`), one statement
inserts the new events (each naming who recorded it) and, only when the outcome
changes, one updates the run. Two people answering the same step at once cannot
both succeed: the second insert meets the first's sequence numbers and is
refused as a stale step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError

from stentguide.cases import schema
from stentguide.cases.audit import append_audit, as_utc, check_actor
from stentguide.cases.model import RunSummary
from stentguide.cases.run_append import Changed, SnapshotBehind, insert_after, outcome_update
from stentguide.cases.run_read import Snapshots, StoredRun, read_run
from stentguide.cases.run_save import events_to_append, insert_run
from stentguide.errors import (
    InputError,
    NotFoundError,
    StaleStepError,
    StentguideError,
    StoreError,
)
from stentguide.protocols.record import SessionRecord

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["Changed", "RunLog", "StoredRun"]

_RUN_RETRIES = 5


def _stale(run_id: str) -> StaleStepError:
    return StaleStepError(
        f"run {run_id} was changed by someone else meanwhile; nothing was recorded: "
        "reload the run to see its current step"
    )


def _as_record(session: SessionRecord | Mapping[str, Any]) -> SessionRecord:
    """The session in the wire format; an :class:`InputError` names each bad field."""
    if isinstance(session, SessionRecord):
        return session
    try:
        return SessionRecord.model_validate(session)
    except ValidationError as exc:
        raise InputError.from_validation("not a valid protocol session", exc) from None


class RunLog:
    """The protocol runs of one registry (``registry.runs``)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.snapshots = Snapshots()
        """The newest known state of recently used runs (checked against every read)."""

    def save(
        self,
        session: SessionRecord | Mapping[str, Any],
        *,
        actor: str,
        case_uid: str | None = None,
        outcome_id: str | None = None,
        outcome_category: str | None = None,
    ) -> RunSummary:
        """Store a protocol session, or append the events the registry has not seen.

        The stored events must be a prefix of the given ones, event for event:
        history is append-only, so a session that rewrites or drops a stored
        event is refused with :class:`StoreError`.
        """
        record = _as_record(session)
        for attempt in range(_RUN_RETRIES):
            try:
                with self._write_raw() as conn:
                    self.save_in(
                        conn,
                        record,
                        actor=actor,
                        case_uid=case_uid,
                        outcome_id=outcome_id,
                        outcome_category=outcome_category,
                    )
                break
            except IntegrityError as exc:
                if attempt == _RUN_RETRIES - 1:
                    raise StoreError(f"the registry refused the run: {exc.orig}") from None
                time.sleep(0.01 * (attempt + 1))
        return self.summary(record.session_id)

    def save_in(
        self,
        conn: sa.Connection,
        session: SessionRecord | Mapping[str, Any],
        *,
        actor: str,
        case_uid: str | None = None,
        outcome_id: str | None = None,
        outcome_category: str | None = None,
    ) -> None:
        """Store a protocol session inside the caller's transaction ``conn``.

        For an import that must store cases and their runs all or none: any
        failure propagates, and the caller's transaction is rolled back whole.
        """
        who = check_actor(actor)
        record = _as_record(session)
        self._save_run(
            conn,
            record,
            who=who,
            case_uid=case_uid,
            outcome={"outcome_id": outcome_id, "outcome_category": outcome_category},
        )

    @contextmanager
    def _write_raw(self) -> Iterator[sa.Connection]:
        try:
            with self.registry.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise StoreError(f"the registry refused the write: {exc.orig}") from None

    def _save_run(
        self,
        conn: sa.Connection,
        record: SessionRecord,
        *,
        who: str,
        case_uid: str | None,
        outcome: Mapping[str, str | None],
    ) -> None:
        case_id: int | None = None
        if case_uid is not None:
            case_id = conn.execute(
                sa.select(schema.cases.c.id).where(schema.cases.c.uid == case_uid)
            ).scalar_one_or_none()
            if case_id is None:
                raise NotFoundError("case", case_uid, "case_uid")
        query = sa.select(schema.runs).where(schema.runs.c.id == record.session_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        stored = conn.execute(query).mappings().first()
        if stored is None:
            insert_run(conn, record, who=who, case_id=case_id, outcome=outcome)
            append_audit(
                conn,
                actor=who,
                action="create",
                entity="run",
                entity_id=record.session_id,
                detail={"events": len(record.events), "case_uid": case_uid},
            )
            return
        new = events_to_append(conn, record, stored, case_id)
        sid = record.session_id
        if new:
            conn.execute(
                schema.run_events.insert(),
                [{"run_id": sid, **event, "actor": who} for event in new],
            )
        updates: dict[str, Any] = {
            key: value for key, value in outcome.items() if value != stored[key]
        }
        if case_id is not None and stored["case_id"] is None:
            updates["case_id"] = case_id
        if updates:
            conn.execute(schema.runs.update().where(schema.runs.c.id == sid).values(**updates))
        if new or updates:
            detail: dict[str, Any] = {"events_appended": len(new)}
            detail.update({k: v for k, v in updates.items() if k != "case_id"})
            if "case_id" in updates:
                detail["case_uid"] = case_uid
            append_audit(
                conn, actor=who, action="append", entity="run", entity_id=sid, detail=detail
            )

    def get(self, run_id: str) -> StoredRun:
        """The stored run with its events, in one query; :class:`NotFoundError` if none.

        Only the events after this registry's snapshot of the run are read (see
        :mod:`stentguide.cases.run_read`); the run's row is read every time.
        """
        with self.registry.read() as conn:
            stored = read_run(conn, run_id, self.snapshots.get(run_id))
        self.snapshots.put(stored)
        return stored

    def change(
        self, run_id: str, apply: Callable[[StoredRun], Changed], *, actor: str
    ) -> Changed:
        """``apply`` a change to the stored run and append the result, in one transaction.

        ``apply`` returns the new record (the stored one with events added), its outcome
        and what it replayed. With a snapshot holding the replayed session, the change is
        decided on it and written without a read, by an insert that checks the snapshot
        (:mod:`stentguide.cases.run_append`); otherwise, or when that insert finds the
        log moved on, the run is read, ``apply`` decides again and the result is appended:
        three statements at most. On SQLite the transaction holds the write lock from the
        read on; on PostgreSQL a change appended by someone else between the read and the
        insert is refused by the events' key, and this one is a :class:`StaleStepError`.
        """
        who = check_actor(actor)
        known = self.snapshots.get(run_id)
        if known is not None and known.replayed is not None:
            decided = self._change_on_snapshot(known, apply, who)
            if decided is not None:
                return decided
        try:
            with self._write_raw() as conn:
                stored = read_run(conn, run_id, self.snapshots.get(run_id))
                changed = apply(stored)
                self._append(conn, stored, changed, who=who)
        except IntegrityError:
            self.snapshots.drop(run_id)
            raise _stale(run_id) from None
        self._remember(stored, changed)
        return changed

    def _change_on_snapshot(
        self, known: StoredRun, apply: Callable[[StoredRun], Changed], who: str
    ) -> Changed | None:
        """The change decided and appended on the snapshot; ``None``: read and decide again."""
        try:
            changed = apply(known)
        except StentguideError:
            return None  # decided on the snapshot alone: decide again on the stored log
        sid = known.record.session_id
        count = len(known.record.events)
        if changed.record.session_id != sid or len(changed.record.events) <= count:
            return None
        new = [{"run_id": sid, **e.row(), "actor": who} for e in changed.record.events[count:]]
        try:
            with self._write_raw() as conn:
                insert_after(conn, new)
                outcome = (changed.outcome_id, changed.outcome_category)
                if outcome != (known.outcome_id, known.outcome_category):
                    conn.execute(
                        outcome_update(),
                        {"run_id": sid, "outcome_id": outcome[0], "outcome_category": outcome[1]},
                    )
        except (IntegrityError, SnapshotBehind):
            self.snapshots.drop(sid)
            return None
        self._remember(known, changed)
        return changed

    def _remember(self, stored: StoredRun, changed: Changed) -> None:
        self.snapshots.put(
            StoredRun(
                record=changed.record,
                case_uid=stored.case_uid,
                outcome_id=changed.outcome_id,
                outcome_category=changed.outcome_category,
                created_by=stored.created_by,
                replayed=changed.replayed,
            )
        )

    def last_seq(self, run_id: str) -> int:
        """The ``seq`` of the run's newest event, -1 if it has none; one primary-key query.

        A live view asks this (``has this run changed since seq N?``) a few times a
        second; it reads only the event table's primary key, so it holds with several
        server processes and on either database, with no state kept in memory.
        """
        e = schema.run_events.c
        query = sa.select(sa.func.max(e.seq)).where(e.run_id == run_id)
        with self.registry.read() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return -1 if found is None else int(found)

    def changed_since(self, run_id: str, seq: int) -> bool:
        """Whether the run has an event after ``seq`` (someone answered, undid, declared...)."""
        return self.last_seq(run_id) > seq

    def load(self, run_id: str) -> SessionRecord:
        """The stored session record; :class:`NotFoundError` when the registry has none."""
        return self.get(run_id).record

    def append(
        self,
        stored: StoredRun,
        record: SessionRecord,
        *,
        actor: str,
        outcome_id: str | None,
        outcome_category: str | None,
    ) -> int:
        """Append the events of ``record`` beyond those of ``stored``; returns how many.

        ``record`` must be ``stored.record`` with events added (as the engine makes
        it). If someone appended to the run after ``stored`` was read, nothing is
        written and :class:`StaleStepError` says so. The outcome columns follow the
        session's outcome (back to none after an undo).
        """
        changed = Changed(record, outcome_id, outcome_category)
        if len(record.events) == len(stored.record.events) and (
            outcome_id,
            outcome_category,
        ) == (stored.outcome_id, stored.outcome_category):
            return 0
        try:
            with self._write_raw() as conn:
                appended = self._append(conn, stored, changed, who=check_actor(actor))
        except IntegrityError:
            self.snapshots.drop(stored.record.session_id)
            raise _stale(stored.record.session_id) from None
        return appended

    @staticmethod
    def _append(conn: sa.Connection, stored: StoredRun, changed: Changed, *, who: str) -> int:
        known = len(stored.record.events)
        sid = stored.record.session_id
        record = changed.record
        if record.session_id != sid or len(record.events) < known:
            raise StoreError(f"run {sid}: the session given does not continue the stored one")
        new = [{"run_id": sid, **event.row(), "actor": who} for event in record.events[known:]]
        outcome = {"outcome_id": changed.outcome_id, "outcome_category": changed.outcome_category}
        if new:  # one event (the usual answer) as a plain execute: no batch machinery
            conn.execute(schema.run_events.insert(), new[0] if len(new) == 1 else new)
        if (changed.outcome_id, changed.outcome_category) != (
            stored.outcome_id,
            stored.outcome_category,
        ):
            conn.execute(outcome_update(), {"run_id": sid, **outcome})
        return len(new)

    def attach(self, run_id: str, case_uid: str, *, actor: str) -> RunSummary:
        """Attach a run to a registry case (once; a run belongs to one case)."""
        who = check_actor(actor)
        with self.registry.write() as conn:
            case_id = conn.execute(
                sa.select(schema.cases.c.id).where(schema.cases.c.uid == case_uid)
            ).scalar_one_or_none()
            if case_id is None:
                raise NotFoundError("case", case_uid, "case_uid")
            current = conn.execute(
                sa.select(schema.runs.c.case_id).where(schema.runs.c.id == run_id)
            ).first()
            if current is None:
                raise NotFoundError("run", run_id, "run_id")
            if current.case_id not in (None, case_id):
                raise StoreError(f"run {run_id} is already attached to another case")
            if current.case_id is None:
                conn.execute(
                    schema.runs.update().where(schema.runs.c.id == run_id).values(case_id=case_id)
                )
                append_audit(
                    conn,
                    actor=who,
                    action="attach",
                    entity="run",
                    entity_id=run_id,
                    detail={"case_uid": case_uid},
                )
        return self.summary(run_id)

    def find(
        self,
        *,
        case_uid: str | None = None,
        protocol_id: str | None = None,
        limit: int | None = 100,
    ) -> list[RunSummary]:
        """Stored runs, newest first, optionally of one case or one protocol."""
        clauses: list[sa.ColumnElement[bool]] = []
        if case_uid is not None:
            clauses.append(schema.cases.c.uid == case_uid)
        if protocol_id is not None:
            clauses.append(schema.runs.c.protocol_id == protocol_id)
        with self.registry.read() as conn:
            return self.summaries(conn, clauses, limit=limit)

    def summary(self, run_id: str) -> RunSummary:
        with self.registry.read() as conn:
            found = self.summaries(conn, [schema.runs.c.id == run_id])
        if not found:
            raise NotFoundError("run", run_id, "run_id")
        return found[0]

    def summaries(
        self,
        conn: sa.Connection,
        clauses: Sequence[sa.ColumnElement[bool]],
        limit: int | None = None,
    ) -> list[RunSummary]:
        r, e = schema.runs.c, schema.run_events.c
        events = (
            sa.select(sa.func.count())
            .where(e.run_id == r.id)
            .correlate(schema.runs)
            .scalar_subquery()
        )
        query = (
            sa.select(
                r.id,
                schema.cases.c.uid,
                r.protocol_id,
                r.protocol_version,
                r.outcome_id,
                r.outcome_category,
                r.created_at,
                r.created_by,
                events.label("events"),
            )
            .select_from(schema.runs.outerjoin(schema.cases, schema.cases.c.id == r.case_id))
            .where(*clauses)
            .order_by(r.created_at.desc(), r.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            RunSummary(
                run_id=row.id,
                case_uid=row.uid,
                protocol_id=row.protocol_id,
                protocol_version=row.protocol_version,
                outcome_id=row.outcome_id,
                outcome_category=row.outcome_category,
                events=int(row.events),
                created_at=as_utc(row.created_at),
                created_by=row.created_by,
            )
            for row in conn.execute(query)
        ]
