"""Training attempts, kept in the case registry's database.

An attempt is one finished play-through: who played (a trainee id, no name
needed), which case and case version, every choice with its timestamp, the
score and its parts, the end reached and the time taken. Attempts are
append-only (the migration installs triggers that refuse UPDATE and DELETE),
so a trainee's progress is a plain query over their rows.

The table lives in the registry's database and is created by the registry's
Alembic migrations (revision ``0002_training_attempts``); opening a store
through :meth:`AttemptStore.open` upgrades an older database first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from stentguide.cases import Registry
from stentguide.errors import InputError, NotFoundError, StoreError
from stentguide.training.debrief import Debrief

__all__ = ["AttemptStore", "ProgressRow", "StoredAttempt", "attempts_table", "validate_trainee"]

_TZ = sa.DateTime(timezone=True)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

attempts_table = sa.Table(
    "training_attempts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("trainee_id", sa.String(64), nullable=False, index=True),
    sa.Column("case_id", sa.String(64), nullable=False, index=True),
    sa.Column("case_version", sa.String(16), nullable=False),
    sa.Column("choices", sa.JSON, nullable=False),
    sa.Column("score", sa.JSON, nullable=False),
    sa.Column("total", sa.Float, nullable=False),
    sa.Column("end_id", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Column("started_at", _TZ, nullable=False),
    sa.Column("finished_at", _TZ, nullable=False),
    sa.Column("elapsed_seconds", sa.Float, nullable=False),
)
"""The table as the migration creates it (a test compares the two)."""


def validate_trainee(trainee_id: str | None) -> str:
    """A trainee id is required: 1 to 64 printable characters, no default."""
    value = trainee_id.strip() if isinstance(trainee_id, str) else ""
    if not value:
        raise InputError("an attempt needs a trainee id", {"trainee": "missing"})
    if len(value) > 64 or not value.isprintable():
        raise InputError("bad trainee id", {"trainee": "1 to 64 printable characters"})
    return value


class StoredAttempt(BaseModel):
    """One stored attempt."""

    model_config = ConfigDict(frozen=True)

    id: str
    trainee_id: str
    case_id: str
    case_version: str
    choices: list[dict[str, Any]]
    score: dict[str, Any]
    total: float
    end_id: str
    outcome: str
    started_at: dt.datetime
    finished_at: dt.datetime
    elapsed_seconds: float


class ProgressRow(BaseModel):
    """A trainee's record on one case."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    attempts: int
    best: float
    last: float
    first_at: dt.datetime
    last_at: dt.datetime


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _stored(row: sa.RowMapping) -> StoredAttempt:
    data = dict(row)
    data["started_at"] = _utc(data["started_at"])
    data["finished_at"] = _utc(data["finished_at"])
    return StoredAttempt.model_validate(data)


class AttemptStore:
    """Save and read training attempts in one registry database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    @contextmanager
    def open(cls, url: str | None = None) -> Iterator[AttemptStore]:
        """Open the registry at ``url`` (migrating it) and yield a store on it."""
        with Registry.open(url) as registry:
            yield cls(registry.engine)

    def save(self, trainee_id: str | None, result: Debrief) -> StoredAttempt:
        """Store a finished attempt; returns it as stored."""
        trainee = validate_trainee(trainee_id)
        attempt_id = uuid.uuid4().hex
        row: dict[str, Any] = {
            "id": attempt_id,
            "trainee_id": trainee,
            "case_id": result.case_id,
            "case_version": result.case_version,
            "choices": [
                {"moment": s.moment, "choice": s.choice, "at": s.at.isoformat() if s.at else None}
                for s in result.trainee_path
            ],
            "score": result.score.model_dump(mode="json"),
            "total": result.score.total,
            "end_id": result.end_id,
            "outcome": result.outcome,
            "started_at": _utc(result.started_at),
            "finished_at": _utc(result.finished_at),
            "elapsed_seconds": result.elapsed_seconds,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(attempts_table.insert(), row)
        except DBAPIError as exc:
            raise StoreError(f"the registry refused the attempt: {exc.orig}") from None
        return self.get(attempt_id)

    def get(self, attempt_id: str) -> StoredAttempt:
        """The attempt with this id; :class:`NotFoundError` (field ``attempt``) if none."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(attempts_table).where(attempts_table.c.id == attempt_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFoundError("attempt", attempt_id, "attempt")
        return _stored(row)

    def list_attempts(
        self, *, trainee_id: str | None = None, case_id: str | None = None, limit: int = 100
    ) -> list[StoredAttempt]:
        """Attempts, newest first, optionally for one trainee and/or one case."""
        if limit < 0:
            raise InputError("bad limit", {"limit": "must be 0 or more"})
        query = sa.select(attempts_table)
        if trainee_id is not None:
            query = query.where(attempts_table.c.trainee_id == validate_trainee(trainee_id))
        if case_id is not None:
            if not case_id.isprintable():
                raise InputError("bad case id", {"case": "printable characters only"})
            query = query.where(attempts_table.c.case_id == case_id)
        query = query.order_by(
            attempts_table.c.finished_at.desc(), attempts_table.c.id.desc()
        ).limit(limit)
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query).mappings()]

    def progress(self, trainee_id: str) -> list[ProgressRow]:
        """Per case: how many attempts, the best and the latest score, first and last time."""
        trainee = validate_trainee(trainee_id)
        t = attempts_table.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.case_id, t.total, t.finished_at)
                .where(t.trainee_id == trainee)
                .order_by(t.case_id, t.finished_at, t.id)
            ).all()
        grouped: dict[str, list[tuple[float, dt.datetime]]] = {}
        for case_id, total, finished in rows:
            grouped.setdefault(case_id, []).append((float(total), _utc(finished)))
        return [
            ProgressRow(
                case_id=case_id,
                attempts=len(items),
                best=max(score for score, _ in items),
                last=items[-1][0],
                first_at=items[0][1],
                last_at=items[-1][1],
            )
            for case_id, items in grouped.items()
        ]
