"""The audit log: who changed which record, when, and how.

Every change to a case, a run or a user appends one line here, in the same
transaction as the change (:func:`append_audit`); the database refuses UPDATE
and DELETE on the table. Exports and other reads worth tracing are recorded
through :meth:`AuditLog.record`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from stentguide.cases import schema
from stentguide.errors import InputError

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["AuditEntry", "AuditLog", "append_audit", "as_utc", "check_actor", "utc_now"]


def utc_now() -> dt.datetime:
    """The current time in UTC (every stored timestamp is UTC)."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime (SQLite returns naive ones)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def check_actor(actor: str) -> str:
    """The name of who makes a change, stripped; refuses an empty or over-long name."""
    actor = actor.strip() if isinstance(actor, str) else ""
    if not actor or len(actor) > 64:
        raise InputError("every change needs who made it", {"actor": "1 to 64 characters"})
    return actor


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which record, and when."""

    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


def append_audit(
    conn: sa.Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit line inside the caller's transaction."""
    conn.execute(
        schema.audit_log.insert(),
        {
            "at": utc_now(),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "detail": dict(detail or {}),
        },
    )


class AuditLog:
    """The audit log of one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def record(
        self,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one line in a transaction of its own (e.g. for an export)."""
        with self.registry.write() as conn:
            append_audit(
                conn,
                actor=check_actor(actor),
                action=action,
                entity=entity,
                entity_id=entity_id,
                detail=detail,
            )

    def entries(
        self, *, entity: str | None = None, entity_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest audit lines, optionally for one record."""
        a = schema.audit_log.c
        clauses: list[sa.ColumnElement[bool]] = []
        if entity is not None:
            clauses.append(a.entity == entity)
        if entity_id is not None:
            clauses.append(a.entity_id == entity_id)
        with self.registry.read() as conn:
            rows = conn.execute(
                sa.select(schema.audit_log).where(*clauses).order_by(a.id.desc()).limit(limit)
            ).mappings()
            return [
                AuditEntry(
                    at=as_utc(row["at"]),
                    actor=row["actor"],
                    action=row["action"],
                    entity=row["entity"],
                    entity_id=row["entity_id"],
                    detail=row["detail"],
                )
                for row in rows
            ]
