"""The registry's tables (SQLAlchemy 2 Core metadata).

The tables mirror what a cath lab records per case: the case itself keyed by a
pseudonymous patient id (no name anywhere) with the year of the procedure
computed by the database, its complications (one row each,
so that rates are plain ``COUNT`` queries over indexed columns), the protocol
runs with their full timed event log, the users of the web app and an audit
log of every change. ``run_events`` and ``audit_log`` are append-only: the
migrations install database triggers that refuse ``UPDATE`` and ``DELETE`` on
both SQLite and PostgreSQL, so no client (this package or a stray SQL prompt)
can rewrite history. Other triggers raise ``registry_version`` on every change
to cases or complications, so that the counts kept in ``kept_counts`` are read
back only while they are still true.

The Alembic migrations under ``migrations/`` create exactly these tables; a
test compares the two.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "APPEND_ONLY_TABLES",
    "SEARCH_KEY_LENGTH",
    "audit_log",
    "cases",
    "complications",
    "kept_counts",
    "metadata",
    "registry_version",
    "run_events",
    "runs",
    "users",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

_TZ = sa.DateTime(timezone=True)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(32), nullable=False, unique=True),
    sa.Column("patient_id", sa.String(64), nullable=False, index=True),
    sa.Column("procedure_date", sa.Date, nullable=False, index=True),
    sa.Column("operator", sa.String(64), nullable=False, index=True),
    sa.Column("access", sa.String(16), nullable=False),
    sa.Column("lesions", sa.JSON, nullable=False),
    sa.Column("devices", sa.JSON, nullable=False),
    sa.Column("outcome", sa.String(64), nullable=True),
    sa.Column("created_at", _TZ, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("updated_at", _TZ, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # The year of the procedure, computed by the database from ``procedure_date`` on
    # every insert and update (no writer fills it), so that the dashboard counts by
    # year from one index without reading a row (migration 0005).
    sa.Column(
        "procedure_year",
        sa.Integer,
        sa.Computed(sa.cast(sa.extract("year", sa.literal_column("procedure_date")), sa.Integer)),
    ),
    # The migrations create the indexes; on PostgreSQL ``ix_cases_period`` also includes
    # ``id`` (0005) and ``ix_cases_cell_by_id`` on ``id`` includes the cell (0006). Those
    # options are not repeated here: naming one loads the PostgreSQL dialect on SQLite too.
    sa.Index("ix_cases_period", "procedure_year", "operator", "access", "outcome"),
)

complications = sa.Table(
    "complications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("technique", sa.String(32), nullable=True),
    sa.Column("success", sa.Boolean, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Index("ix_complications_kind_case", "kind", "case_id"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=True, index=True),
    sa.Column("format", sa.String(64), nullable=False),
    sa.Column("protocol_id", sa.String(128), nullable=False, index=True),
    sa.Column("protocol_version", sa.String(64), nullable=False),
    sa.Column("case_data", sa.JSON, nullable=False),
    sa.Column("outcome_id", sa.String(128), nullable=True),
    sa.Column("outcome_category", sa.String(64), nullable=True),
    sa.Column("created_at", _TZ, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
)

run_events = sa.Table(
    "run_events",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("node", sa.String(128), nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("actor", sa.String(64), nullable=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", _TZ, nullable=False),
    sa.Column("password_changed_at", _TZ, nullable=False),
    sa.Column("session_generation", sa.Integer, nullable=False, server_default="0"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", _TZ, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_entity", "entity", "entity_id"),
)

registry_version = sa.Table(
    "registry_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)
"""One row: a number the database raises on every change to cases or complications."""

SEARCH_KEY_LENGTH = 2000
"""The longest search (as JSON text) whose counts are kept."""

kept_counts = sa.Table(
    "kept_counts",
    metadata,
    sa.Column("search", sa.String(SEARCH_KEY_LENGTH), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("counts", sa.Text, nullable=False),
)
"""The counts of a search (JSON), valid while ``registry_version`` is still ``version``."""

APPEND_ONLY_TABLES: tuple[str, ...] = ("run_events", "audit_log")
