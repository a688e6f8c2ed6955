"""The year of each case as an indexed column computed by the database.

``cases.procedure_year`` is a generated column (``GENERATED ALWAYS AS``): the
database computes it from ``procedure_date`` for the rows already stored when
the column is added and on every later insert or update, so no writer fills it
and none can get it wrong. ``ix_cases_period`` on (year, operator, access,
outcome) lets the dashboard count a million cases by year, operator and access
from the index alone (with the case id included on PostgreSQL, so that
complications join to it without reading the table). SQLite adds a generated
column only as ``VIRTUAL`` (computed on read, stored in the index);
PostgreSQL before 18 only as ``STORED``. (Revision 0005, after 0004, 2026-11-29.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_case_period"
down_revision = "0004_session_generation"
branch_labels = depends_on = None


def upgrade() -> None:
    stored = op.get_bind().dialect.name == "postgresql"
    year = sa.cast(sa.extract("year", sa.literal_column("procedure_date")), sa.Integer)
    op.add_column(
        "cases",
        sa.Column("procedure_year", sa.Integer, sa.Computed(year, persisted=stored or None)),
    )
    op.create_index(
        "ix_cases_period",
        "cases",
        ["procedure_year", "operator", "access", "outcome"],
        postgresql_include=["id"],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_period", table_name="cases")
    op.drop_column("cases", "procedure_year")
