"""Each case's dashboard cell reachable by its id from one index (PostgreSQL).

The dashboard counts the cases with each complication per cell (procedure year,
operator, access). Its complications (a few percent of the cases) join to their
cases by id; without this index PostgreSQL reads the whole cases table for it.
``ix_cases_cell_by_id`` on ``id`` carrying the cell (``INCLUDE``) lets each
complication find its case's cell in the index alone, about half the time of the
join at a million cases. SQLite needs nothing: ``cases.id`` is its row id, the
table's own key. (Revision 0006, after 0005, 2026-11-29.)
"""

from __future__ import annotations

from alembic import op

revision = "0006_case_cell_by_id"
down_revision = "0005_case_period"
branch_labels = depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_cases_cell_by_id",
            "cases",
            ["id"],
            postgresql_include=["procedure_year", "operator", "access"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_cases_cell_by_id", table_name="cases")
