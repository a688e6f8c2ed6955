"""Cases and their complications: add, change, find, count and list them.

Cases are validated by :class:`~stentguide.cases.model.CaseIn` (the one
declaration of a registry field) before anything is written; a batch is saved
whole or not at all, and every change is audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import ValidationError

from stentguide.cases import schema
from stentguide.cases.audit import append_audit, as_utc, check_actor, utc_now
from stentguide.cases.filters import CaseFilter
from stentguide.cases.intake import add_cases, validate_cases
from stentguide.cases.model import CaseIn, Complication, RunSummary, StoredCase
from stentguide.errors import InputError, NotFoundError, StoreError
from stentguide.progress import Progress

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["Batch", "CaseFilter", "CaseStore"]


def _complication_row(case_id: int, comp: Complication) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": comp.kind.value,
        "technique": comp.technique.value if comp.technique else None,
        "success": comp.success,
        "note": comp.note,
    }


class Batch:
    """Cases added inside one transaction (see :meth:`CaseStore.batch`)."""

    def __init__(self, conn: sa.Connection, actor: str) -> None:
        self._conn = conn
        self._actor = actor
        self.added = 0

    @property
    def connection(self) -> sa.Connection:
        """The batch's transaction, for other writes that must share its fate."""
        return self._conn

    def add_cases(
        self, items: Iterable[CaseIn | Mapping[str, Any]], progress: Progress | None = None
    ) -> int:
        """Validate and insert cases; rows are numbered from 1 in error messages.

        ``items`` may be any iterable (a stream is read a chunk at a time; see
        :func:`~stentguide.cases.intake.add_cases`). ``progress`` is called now
        and then with ``(done, total)`` in steps: each case counts once when
        validated and once when inserted (total twice the cases).
        """
        added = add_cases(self._conn, items, self._actor, progress)
        self.added += added
        return added

    def add_case(self, item: CaseIn | Mapping[str, Any]) -> str:
        """Validate and insert one case; returns its uid."""
        case = validate_cases([item])[0]
        self.add_cases([case])
        return case.uid


class CaseStore:
    """The cases of one registry (``registry.cases``)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @contextmanager
    def batch(self, *, actor: str) -> Iterator[Batch]:
        """A transaction for adding many cases: all of them are saved, or none."""
        who = check_actor(actor)
        with self.registry.write() as conn:
            yield Batch(conn, who)

    def add_many(
        self,
        items: Iterable[CaseIn | Mapping[str, Any]],
        *,
        actor: str,
        progress: Progress | None = None,
    ) -> int:
        """Validate and save cases in one transaction; returns how many were saved.

        Raises :class:`InputError` naming every bad row and field (nothing saved).
        ``progress`` hears ``(done, total)`` as in :meth:`Batch.add_cases`.
        """
        with self.batch(actor=actor) as batch:
            return batch.add_cases(items, progress)

    def add(self, item: CaseIn | Mapping[str, Any], *, actor: str) -> StoredCase:
        """Validate and save one case; returns it as stored."""
        with self.batch(actor=actor) as batch:
            uid = batch.add_case(item)
        return self.get(uid)

    def update(
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
        who = check_actor(actor)
        editable = set(CaseIn.model_fields) - {"uid"}
        unknown = sorted(set(changes) - editable)
        if unknown:
            raise InputError(
                "cannot change these fields", {f: "not an editable field" for f in unknown}
            )
        with self.registry.write() as conn:
            current = self._case_rows(conn, [schema.cases.c.uid == uid], for_update=True)
            if not current:
                raise NotFoundError("case", uid, "uid")
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
                raise InputError.from_validation("invalid change", exc) from None
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
                .values(**row, updated_at=utc_now(), updated_by=who, version=stored.version + 1)
            )
            if "complications" in diff:
                conn.execute(
                    schema.complications.delete().where(schema.complications.c.case_id == case_id)
                )
                comp_rows = [_complication_row(case_id, c) for c in updated.complications]
                if comp_rows:
                    conn.execute(schema.complications.insert(), comp_rows)
            append_audit(
                conn,
                actor=who,
                action="update",
                entity="case",
                entity_id=uid,
                detail={"changed": diff},
            )
        return self.get(uid)

    def get(self, uid: str) -> StoredCase:
        """The stored case with this uid, its complications and runs."""
        with self.registry.read() as conn:
            found = self._case_rows(conn, [schema.cases.c.uid == uid])
            if not found:
                raise NotFoundError("case", uid, "uid")
            return self._attach_runs(conn, found)[0]

    def find(
        self, where: CaseFilter | None = None, *, limit: int | None = 100, offset: int = 0
    ) -> list[StoredCase]:
        """Cases matching ``where``, newest procedure first."""
        if limit is not None and limit < 0:
            raise InputError("bad limit", {"limit": "must be 0 or more"})
        with self.registry.read() as conn:
            found = self._case_rows(
                conn, (where or CaseFilter()).where(), limit=limit, offset=offset
            )
            return self._attach_runs(conn, found)

    def iter(self, where: CaseFilter | None = None, *, chunk: int = 10_000) -> Iterator[StoredCase]:
        """Every case matching ``where`` (oldest id first), fetched in chunks."""
        clauses = (where or CaseFilter()).where()
        last_id = 0
        while True:
            with self.registry.read() as conn:
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

    def count(self, where: CaseFilter | None = None) -> int:
        """How many cases match ``where``."""
        with self.registry.read() as conn:
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
                    **{k: row[k] for k in row if k not in ("id", "procedure_year")},
                    "created_at": as_utc(row["created_at"]),
                    "updated_at": as_utc(row["updated_at"]),
                    "complications": comps.get(row["id"], []),
                }
            )
            for row in rows
        ]

    def _attach_runs(self, conn: sa.Connection, found: list[StoredCase]) -> list[StoredCase]:
        if not found:
            return found
        uids = [case.uid for case in found]
        summaries = self.registry.runs.summaries(conn, [schema.cases.c.uid.in_(uids)])
        by_case: dict[str, list[RunSummary]] = {}
        for summary in summaries:
            if summary.case_uid is not None:
                by_case.setdefault(summary.case_uid, []).append(summary)
        if not by_case:
            return found
        return [case.model_copy(update={"runs": by_case.get(case.uid, [])}) for case in found]
