"""Adding many cases in one transaction: validated, checked and inserted chunk by chunk.

Every case is validated by :class:`~stentguide.cases.model.CaseIn` before it is
written; a bad row, a uid given twice or a uid already stored stops the writing
and the add ends with one :class:`~stentguide.errors.InputError` naming every
problem (the rows are still read to the end, so that every bad row is named),
with nothing saved. The cases are read from any iterable a chunk at a time, so
a stream of a million cases holds one chunk in memory (and the uid of each case
read, to name a repeated one).

Each chunk costs the database three bulk inserts (cases, complications, one
audit line per case; see :mod:`~stentguide.cases.bulk`) and, on PostgreSQL, one
query reserving the new ids. A uid already stored is found by the database's
unique index: the chunks are written inside a savepoint, which is rolled back
before the offending uids are looked up, so a refused add leaves no row behind
even inside a larger batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from itertools import islice
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from stentguide.cases import schema
from stentguide.cases.audit import utc_now
from stentguide.cases.bulk import insert_rows, new_ids
from stentguide.cases.model import CASE_COLUMNS, CaseIn, nested_fields
from stentguide.cyclic_gc import cyclic_gc_paused
from stentguide.errors import InputError
from stentguide.progress import Progress

__all__ = ["add_cases", "existing_uids", "validate_cases"]

CHUNK = 5_000
"""Cases validated and inserted at a time."""
_CASE_ROW = ("id", *CASE_COLUMNS, "created_at", "created_by", "updated_at", "updated_by", "version")
_JSON_COLUMNS = tuple(name for name in CASE_COLUMNS if name in nested_fields())
_COMPLICATION_ROW = ("case_id", "kind", "technique", "success", "note")
_AUDIT_ROW = ("at", "actor", "action", "entity", "entity_id", "detail")
_NO_DETAIL = "{}"
"""The audit detail of a new case, as JSON text (an empty object)."""


class _Findings:
    """What is wrong with the cases read so far, by kind, in the order they are reported."""

    def __init__(self) -> None:
        self.invalid: dict[str, str] = {}
        self.repeated: dict[str, str] = {}
        self.stored: set[str] = set()
        self.first_row: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.invalid or self.repeated or self.stored)

    def validated(self, chunk: Sequence[CaseIn | Mapping[str, Any]], first: int) -> list[CaseIn]:
        """The chunk's cases as CaseIn (rows numbered from ``first``); notes each bad one."""
        valid: list[CaseIn] = []
        validate = CaseIn.model_validate
        for number, item in enumerate(chunk, start=first):
            if isinstance(item, CaseIn):
                case = item
            else:
                try:
                    case = validate(item)
                except ValidationError as exc:
                    self.invalid.update(
                        InputError.from_validation("", exc, prefix=f"row {number}: ").problems
                    )
                    continue
            earlier = self.first_row.setdefault(case.uid, number)
            if earlier != number:
                self.repeated[f"row {number}: uid"] = f"repeats row {earlier}"
            valid.append(case)
        return valid

    def raise_any(self) -> None:
        """One error naming the problems of the first kind found: bad rows, repeats, clashes."""
        if self.invalid:
            raise InputError(
                f"{len(self.invalid)} problem(s) in the cases given; nothing was saved",
                self.invalid,
            )
        if self.repeated:
            raise InputError("repeated case uid; nothing was saved", self.repeated)
        if self.stored:
            raise InputError(
                "case(s) already in the registry; nothing was saved",
                {f"uid {uid}": "already stored" for uid in sorted(self.stored)[:20]},
            )


def _chunks(
    items: Iterable[CaseIn | Mapping[str, Any]],
) -> Iterator[Sequence[CaseIn | Mapping[str, Any]]]:
    """The items a chunk at a time.

    Each chunk is validated and written with the cyclic garbage collector paused:
    it makes tens of thousands of small containers (models, rows), none of them in
    a reference cycle, which otherwise set off full collections that cost more
    than the validation itself; reference counting still frees everything.
    """
    if isinstance(items, Sequence):
        for start in range(0, len(items), CHUNK):
            yield items[start : start + CHUNK]
        return
    stream = iter(items)
    while chunk := list(islice(stream, CHUNK)):
        yield chunk


def validate_cases(items: Iterable[CaseIn | Mapping[str, Any]]) -> list[CaseIn]:
    """Every item as a CaseIn, or one :class:`InputError` naming every bad row and field."""
    findings = _Findings()
    valid: list[CaseIn] = []
    first = 1
    for chunk in _chunks(items):
        with cyclic_gc_paused:
            valid.extend(findings.validated(chunk, first))
        first += len(chunk)
    findings.raise_any()
    return valid


def existing_uids(conn: sa.Connection, uids: Sequence[str]) -> set[str]:
    """Which of ``uids`` the registry already holds."""
    found: set[str] = set()
    for start in range(0, len(uids), 900):
        chunk = list(uids[start : start + 900])
        found.update(
            conn.execute(
                sa.select(schema.cases.c.uid).where(schema.cases.c.uid.in_(chunk))
            ).scalars()
        )
    return found


def add_cases(
    conn: sa.Connection,
    items: Iterable[CaseIn | Mapping[str, Any]],
    actor: str,
    progress: Progress | None = None,
) -> int:
    """Validate and insert cases inside ``conn``'s transaction; returns how many.

    Rows are numbered from 1 in error messages. ``progress`` hears ``(done,
    total)`` after each chunk: each case counts once when validated and once
    when inserted (total twice the cases, ``None`` for an iterable of unknown
    length).
    """
    total = 2 * len(items) if isinstance(items, Sized) else None
    findings = _Findings()
    now = utc_now()
    saving: sa.NestedTransaction | None = conn.begin_nested()
    done = added = 0
    first = 1
    try:
        for chunk in _chunks(items):
            with cyclic_gc_paused:
                cases = findings.validated(chunk, first)
            first += len(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            if findings and saving is not None:  # nothing more will be saved
                saving.rollback()
                saving = None
            if saving is None:
                if not findings.invalid and not findings.repeated:
                    findings.stored.update(existing_uids(conn, [c.uid for c in cases]))
                continue
            try:
                with cyclic_gc_paused:
                    _insert(conn, cases, actor, now)
            except IntegrityError:
                saving.rollback()
                saving = None
                findings.stored.update(existing_uids(conn, [c.uid for c in cases]))
                if not findings.stored:
                    raise
                continue
            added += len(cases)
            done += len(cases)
            if progress is not None:
                progress(done, total)
        findings.raise_any()
    except BaseException:
        if saving is not None and saving.is_active:
            saving.rollback()
        raise
    assert saving is not None
    saving.commit()
    if progress is not None:
        progress(2 * added, 2 * added)
    return added


def _insert(conn: sa.Connection, cases: Sequence[CaseIn], actor: str, now: dt.datetime) -> None:
    """The cases, their complications and one audit line each: three bulk inserts."""
    ids = new_ids(conn, schema.cases.c.id, len(cases))
    insert_rows(
        conn,
        schema.cases,
        _CASE_ROW,
        [
            (case_id, *case.column_values(), now, actor, now, actor, 1)
            for case_id, case in zip(ids, cases, strict=True)
        ],
        ready=_JSON_COLUMNS,
    )
    insert_rows(
        conn,
        schema.complications,
        _COMPLICATION_ROW,
        [
            (
                case_id,
                comp.kind.value,
                comp.technique.value if comp.technique is not None else None,
                comp.success,
                comp.note,
            )
            for case_id, case in zip(ids, cases, strict=True)
            for comp in case.complications
        ],
    )
    insert_rows(
        conn,
        schema.audit_log,
        _AUDIT_ROW,
        [(now, actor, "create", "case", case.uid, _NO_DETAIL) for case in cases],
        ready=("detail",),
    )
