"""The case registry: cases, protocol runs and the audit log, in one database.

Every write is one transaction: a crash or a kill half-way leaves the database
as it was. Every change to a case, a run or a user is recorded in the audit log
with who and when, in the same transaction as the change. A protocol run's
event log only grows: :meth:`Registry.save_run` appends the events the database
has not seen and refuses a session whose history differs from what is stored,
and the database itself refuses UPDATE and DELETE on the event table.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from stentguide.cases import schema
from stentguide.cases.database import READ_ONLY, create_registry_engine, resolve_database_url
from stentguide.cases.migrate import SchemaStatus, schema_status, upgrade_schema
from stentguide.cases.model import CaseIn, Complication, RunSummary, StoredCase
from stentguide.cases.session_format import SessionRecord
from stentguide.errors import InputError, StoreError

__all__ = ["AuditEntry", "Batch", "CaseFilter", "Registry", "validation_problems"]

_INSERT_CHUNK = 5_000
_RUN_RETRIES = 5


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def validation_problems(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """Turn a pydantic error into ``{field path: why}`` for :class:`InputError`."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"]) or "(record)"
        problems[f"{prefix}{path}"] = error["msg"]
    return problems


def _actor(actor: str) -> str:
    actor = actor.strip() if isinstance(actor, str) else ""
    if not actor or len(actor) > 64:
        raise InputError("every change needs who made it", {"actor": "1 to 64 characters"})
    return actor


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list, count or export; ``None`` means no restriction."""

    patient_id: str | None = None
    operator: str | None = None
    access: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    complication: str | None = None
    outcome: str | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        c = schema.cases.c
        clauses: list[sa.ColumnElement[bool]] = []
        if self.patient_id is not None:
            clauses.append(c.patient_id == self.patient_id)
        if self.operator is not None:
            clauses.append(c.operator == self.operator)
        if self.access is not None:
            clauses.append(c.access == self.access)
        if self.since is not None:
            clauses.append(c.procedure_date >= self.since)
        if self.until is not None:
            clauses.append(c.procedure_date <= self.until)
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InputError("empty period", {"since": f"{self.since} is after until {self.until}"})
        if self.complication is not None:
            comp = schema.complications.c
            clauses.append(sa.exists().where(comp.case_id == c.id, comp.kind == self.complication))
        if self.outcome is not None:
            clauses.append(c.outcome == self.outcome)
        return clauses


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which record, and when."""

    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


def _audit(
    conn: sa.Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        schema.audit_log.insert(),
        {
            "at": _now(),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "detail": dict(detail or {}),
        },
    )


def _insert_cases(conn: sa.Connection, cases: Sequence[CaseIn], actor: str) -> None:
    """Insert validated cases, their complications and one audit line each."""
    now = _now()
    for start in range(0, len(cases), _INSERT_CHUNK):
        chunk = cases[start : start + _INSERT_CHUNK]
        rows = [
            {
                **case.row(),
                "created_at": now,
                "created_by": actor,
                "updated_at": now,
                "updated_by": actor,
                "version": 1,
            }
            for case in chunk
        ]
        result = conn.execute(
            schema.cases.insert().returning(
                schema.cases.c.id, schema.cases.c.uid, sort_by_parameter_order=True
            ),
            rows,
        )
        ids = [row.id for row in result]
        comp_rows = [
            _complication_row(case_id, comp)
            for case_id, case in zip(ids, chunk, strict=True)
            for comp in case.complications
        ]
        if comp_rows:
            conn.execute(schema.complications.insert(), comp_rows)
        conn.execute(
            schema.audit_log.insert(),
            [
                {
                    "at": now,
                    "actor": actor,
                    "action": "create",
                    "entity": "case",
                    "entity_id": case.uid,
                    "detail": {},
                }
                for case in chunk
            ],
        )


def _complication_row(case_id: int, comp: Complication) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": comp.kind.value,
        "technique": comp.technique.value if comp.technique else None,
        "success": comp.success,
        "note": comp.note,
    }


def _existing_uids(conn: sa.Connection, uids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(uids), 900):
        chunk = list(uids[start : start + 900])
        found.update(
            conn.execute(
                sa.select(schema.cases.c.uid).where(schema.cases.c.uid.in_(chunk))
            ).scalars()
        )
    return found


def _validate_cases(items: Iterable[CaseIn | Mapping[str, Any]]) -> list[CaseIn]:
    valid: list[CaseIn] = []
    problems: dict[str, str] = {}
    for index, item in enumerate(items):
        if isinstance(item, CaseIn):
            valid.append(item)
            continue
        try:
            valid.append(CaseIn.model_validate(item))
        except ValidationError as exc:
            problems.update(validation_problems(exc, prefix=f"row {index + 1}: "))
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in the cases given; nothing was saved", problems
        )
    seen: dict[str, int] = {}
    for index, case in enumerate(valid):
        if case.uid in seen:
            problems[f"row {index + 1}: uid"] = f"repeats row {seen[case.uid] + 1}"
        seen.setdefault(case.uid, index)
    if problems:
        raise InputError("repeated case uid; nothing was saved", problems)
    return valid


def _insert_run(
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
            "case_data": record.record()["case"],
            **outcome,
            "created_at": _now(),
            "created_by": who,
        },
    )
    if record.events:
        conn.execute(
            schema.run_events.insert(),
            [{"run_id": record.session_id, **event.record()} for event in record.events],
        )


def _events_to_append(
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
    if stored["case_data"] != record.record()["case"]:
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
    events = [event.record() for event in record.events]
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


class Batch:
    """Cases added inside one transaction (see :meth:`Registry.batch`)."""

    def __init__(self, conn: sa.Connection, actor: str) -> None:
        self._conn = conn
        self._actor = actor
        self.added = 0

    def add_cases(self, items: Iterable[CaseIn | Mapping[str, Any]]) -> int:
        """Validate and insert cases; rows are numbered from 1 in error messages."""
        cases = _validate_cases(items)
        clash = _existing_uids(self._conn, [c.uid for c in cases])
        if clash:
            raise InputError(
                "case(s) already in the registry; nothing was saved",
                {f"uid {uid}": "already stored" for uid in sorted(clash)[:20]},
            )
        _insert_cases(self._conn, cases, self._actor)
        self.added += len(cases)
        return len(cases)

    def add_case(self, item: CaseIn | Mapping[str, Any]) -> str:
        """Validate and insert one case; returns its uid."""
        case = _validate_cases([item])[0]
        self.add_cases([case])
        return case.uid


class Registry:
    """A case registry in one SQLite file or PostgreSQL database.

    Open with :meth:`open`, which migrates the schema to the newest this code
    knows. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Registry:
        """Open the registry at ``url`` (see :func:`resolve_database_url`)."""
        engine = create_registry_engine(resolve_database_url(url))
        try:
            if migrate:
                upgrade_schema(engine)
            else:
                status = schema_status(engine)
                if not status.up_to_date:
                    raise StoreError(
                        f"the database schema is at {status.current!r}, not {status.head!r}: "
                        "run `stentguide db upgrade`"
                    )
        except OperationalError as exc:
            engine.dispose()
            raise StoreError(f"cannot open the registry database: {exc.orig}") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def status(self) -> SchemaStatus:
        """The schema revision of the database and the newest this code knows."""
        return schema_status(self.engine)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading: on SQLite it takes no write lock."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise StoreError(f"the registry refused the write: {exc.orig}") from None
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise StoreError(f"the registry database failed the write: {exc.orig}") from None
            raise StoreError(f"the registry refused the write: {exc.orig}") from None

    # ----------------------------------------------------------------- cases

    @contextmanager
    def batch(self, *, actor: str) -> Iterator[Batch]:
        """A transaction for adding many cases: all of them are saved, or none."""
        who = _actor(actor)
        with self._write() as conn:
            yield Batch(conn, who)

    def add_cases(self, items: Iterable[CaseIn | Mapping[str, Any]], *, actor: str) -> int:
        """Validate and save cases in one transaction; returns how many were saved.

        Raises :class:`InputError` naming every bad row and field (nothing saved).
        """
        with self.batch(actor=actor) as batch:
            return batch.add_cases(items)

    def add_case(self, item: CaseIn | Mapping[str, Any], *, actor: str) -> StoredCase:
        """Validate and save one case; returns it as stored."""
        with self.batch(actor=actor) as batch:
            uid = batch.add_case(item)
        return self.get_case(uid)

    def update_case(
        self,
        uid: str,
        changes: Mapping[str, Any],
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> StoredCase:
        """Change fields of a stored case; the audit log keeps the old and new values.

        ``expected_version`` guards against overwriting a change made meanwhile.
        """
        who = _actor(actor)
        editable = set(CaseIn.model_fields) - {"uid"}
        unknown = sorted(set(changes) - editable)
        if unknown:
            raise InputError(
                "cannot change these fields", {f: "not an editable field" for f in unknown}
            )
        with self._write() as conn:
            current = self._case_rows(conn, [schema.cases.c.uid == uid], for_update=True)
            if not current:
                raise InputError("no such case", {"uid": f"{uid!r} is not in the registry"})
            stored = current[0]
            if expected_version is not None and stored.version != expected_version:
                raise StoreError(
                    f"case {uid} was changed meanwhile (version {stored.version}, "
                    f"expected {expected_version}); reload it and try again"
                )
            before = stored.model_dump(mode="json", include=editable)
            try:
                updated = CaseIn.model_validate({**before, **changes, "uid": uid})
            except ValidationError as exc:
                raise InputError("invalid change", validation_problems(exc)) from None
            after = updated.model_dump(mode="json", include=editable)
            diff = {k: [before[k], after[k]] for k in sorted(editable) if before[k] != after[k]}
            if not diff:
                return self._attach_runs(conn, [stored])[0]
            row = updated.row()
            del row["uid"]
            case_id = conn.execute(
                sa.select(schema.cases.c.id).where(schema.cases.c.uid == uid)
            ).scalar_one()
            conn.execute(
                schema.cases.update()
                .where(schema.cases.c.id == case_id)
                .values(**row, updated_at=_now(), updated_by=who, version=stored.version + 1)
            )
            if "complications" in diff:
                conn.execute(
                    schema.complications.delete().where(schema.complications.c.case_id == case_id)
                )
                comp_rows = [_complication_row(case_id, c) for c in updated.complications]
                if comp_rows:
                    conn.execute(schema.complications.insert(), comp_rows)
            _audit(
                conn,
                actor=who,
                action="update",
                entity="case",
                entity_id=uid,
                detail={"changed": diff},
            )
        return self.get_case(uid)

    def get_case(self, uid: str) -> StoredCase:
        """The stored case with this uid, its complications and runs."""
        with self.read() as conn:
            found = self._case_rows(conn, [schema.cases.c.uid == uid])
            if not found:
                raise InputError("no such case", {"uid": f"{uid!r} is not in the registry"})
            return self._attach_runs(conn, found)[0]

    def list_cases(
        self, where: CaseFilter | None = None, *, limit: int | None = 100, offset: int = 0
    ) -> list[StoredCase]:
        """Cases matching ``where``, newest procedure first."""
        if limit is not None and limit < 0:
            raise InputError("bad limit", {"limit": "must be 0 or more"})
        with self.read() as conn:
            found = self._case_rows(
                conn, (where or CaseFilter()).where(), limit=limit, offset=offset
            )
            return self._attach_runs(conn, found)

    def iter_cases(
        self, where: CaseFilter | None = None, *, chunk: int = 10_000
    ) -> Iterator[StoredCase]:
        """Every case matching ``where`` (oldest id first), fetched in chunks."""
        clauses = (where or CaseFilter()).where()
        last_id = 0
        while True:
            with self.read() as conn:
                ids_rows = (
                    conn.execute(
                        sa.select(schema.cases.c.id)
                        .where(schema.cases.c.id > last_id, *clauses)
                        .order_by(schema.cases.c.id)
                        .limit(chunk)
                    )
                    .scalars()
                    .all()
                )
                if not ids_rows:
                    return
                found = self._case_rows(conn, [schema.cases.c.id.in_(ids_rows)], order_by_id=True)
                yield from self._attach_runs(conn, found)
            last_id = ids_rows[-1]

    def count_cases(self, where: CaseFilter | None = None) -> int:
        """How many cases match ``where``."""
        with self.read() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(schema.cases)
                    .where(*(where or CaseFilter()).where())
                ).scalar_one()
            )

    def _case_rows(
        self,
        conn: sa.Connection,
        clauses: Sequence[sa.ColumnElement[bool]],
        *,
        limit: int | None = None,
        offset: int = 0,
        for_update: bool = False,
        order_by_id: bool = False,
    ) -> list[StoredCase]:
        c = schema.cases.c
        query = sa.select(schema.cases).where(*clauses)
        query = (
            query.order_by(c.id)
            if order_by_id
            else query.order_by(c.procedure_date.desc(), c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        if for_update and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        rows = conn.execute(query).mappings().all()
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        comps: dict[int, list[dict[str, Any]]] = {}
        comp = schema.complications.c
        for crow in conn.execute(
            sa.select(comp.case_id, comp.kind, comp.technique, comp.success, comp.note)
            .where(comp.case_id.in_(ids))
            .order_by(comp.id)
        ).mappings():
            comps.setdefault(crow["case_id"], []).append(
                {k: crow[k] for k in ("kind", "technique", "success", "note")}
            )
        return [
            StoredCase.model_validate(
                {
                    **{k: row[k] for k in row if k != "id"},
                    "created_at": _utc(row["created_at"]),
                    "updated_at": _utc(row["updated_at"]),
                    "complications": comps.get(row["id"], []),
                }
            )
            for row in rows
        ]

    def _attach_runs(self, conn: sa.Connection, found: list[StoredCase]) -> list[StoredCase]:
        if not found:
            return found
        uids = [case.uid for case in found]
        summaries = self._run_summaries(conn, [schema.cases.c.uid.in_(uids)])
        by_case: dict[str, list[RunSummary]] = {}
        for summary in summaries:
            if summary.case_uid is not None:
                by_case.setdefault(summary.case_uid, []).append(summary)
        if not by_case:
            return found
        return [case.model_copy(update={"runs": by_case.get(case.uid, [])}) for case in found]

    # ------------------------------------------------------------------ runs

    def save_run(
        self,
        session: Mapping[str, Any],
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
        who = _actor(actor)
        try:
            record = SessionRecord.model_validate(session)
        except ValidationError as exc:
            raise InputError("not a valid protocol session", validation_problems(exc)) from None
        for attempt in range(_RUN_RETRIES):
            try:
                with self._write_raw() as conn:
                    self._save_run(
                        conn,
                        record,
                        who=who,
                        case_uid=case_uid,
                        outcome={"outcome_id": outcome_id, "outcome_category": outcome_category},
                    )
                break
            except IntegrityError as exc:
                if attempt == _RUN_RETRIES - 1:
                    raise StoreError(f"the registry refused the run: {exc.orig}") from None
                time.sleep(0.01 * (attempt + 1))
        return self._run_summary(record.session_id)

    @contextmanager
    def _write_raw(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as conn:
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
                raise InputError(
                    "no such case", {"case_uid": f"{case_uid!r} is not in the registry"}
                )
        query = sa.select(schema.runs).where(schema.runs.c.id == record.session_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        stored = conn.execute(query).mappings().first()
        if stored is None:
            _insert_run(conn, record, who=who, case_id=case_id, outcome=outcome)
            _audit(
                conn,
                actor=who,
                action="create",
                entity="run",
                entity_id=record.session_id,
                detail={"events": len(record.events), "case_uid": case_uid},
            )
            return
        new = _events_to_append(conn, record, stored, case_id)
        sid = record.session_id
        if new:
            conn.execute(schema.run_events.insert(), [{"run_id": sid, **event} for event in new])
        updates: dict[str, Any] = {
            key: value
            for key, value in outcome.items()
            if value is not None and value != stored[key]
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
            _audit(conn, actor=who, action="append", entity="run", entity_id=sid, detail=detail)

    def load_run(self, run_id: str) -> dict[str, Any]:
        """The stored session as the JSON-compatible dict the protocol engine reads."""
        with self.read() as conn:
            run = (
                conn.execute(sa.select(schema.runs).where(schema.runs.c.id == run_id))
                .mappings()
                .first()
            )
            if run is None:
                raise InputError("no such run", {"run_id": f"{run_id!r} is not in the registry"})
            e = schema.run_events.c
            stamp = {"protocol_id": run["protocol_id"], "protocol_version": run["protocol_version"]}
            events = [
                {**row, **stamp}
                for row in conn.execute(
                    sa.select(e.seq, e.at, e.type, e.node, e.data)
                    .where(e.run_id == run_id)
                    .order_by(e.seq)
                ).mappings()
            ]
        return {
            "format": run["format"],
            "session_id": run["id"],
            "protocol_id": run["protocol_id"],
            "protocol_version": run["protocol_version"],
            "case": run["case_data"],
            "events": events,
        }

    def list_runs(
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
        with self.read() as conn:
            return self._run_summaries(conn, clauses, limit=limit)

    def _run_summary(self, run_id: str) -> RunSummary:
        with self.read() as conn:
            found = self._run_summaries(conn, [schema.runs.c.id == run_id])
        if not found:
            raise InputError("no such run", {"run_id": f"{run_id!r} is not in the registry"})
        return found[0]

    def _run_summaries(
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
                created_at=_utc(row.created_at),
                created_by=row.created_by,
            )
            for row in conn.execute(query)
        ]

    # ----------------------------------------------------------------- audit

    def record_audit(
        self,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one line to the audit log (for changes made outside this module)."""
        with self._write() as conn:
            _audit(
                conn,
                actor=_actor(actor),
                action=action,
                entity=entity,
                entity_id=entity_id,
                detail=detail,
            )

    def audit_entries(
        self, *, entity: str | None = None, entity_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest audit lines, optionally for one record."""
        a = schema.audit_log.c
        clauses: list[sa.ColumnElement[bool]] = []
        if entity is not None:
            clauses.append(a.entity == entity)
        if entity_id is not None:
            clauses.append(a.entity_id == entity_id)
        with self.read() as conn:
            rows = conn.execute(
                sa.select(schema.audit_log).where(*clauses).order_by(a.id.desc()).limit(limit)
            ).mappings()
            return [
                AuditEntry(
                    at=_utc(row["at"]),
                    actor=row["actor"],
                    action=row["action"],
                    entity=row["entity"],
                    entity_id=row["entity_id"],
                    detail=row["detail"],
                )
                for row in rows
            ]
