"""The dashboard's counts kept in the database until a case or complication changes.

``registry_version`` holds one number that database triggers raise on every
insert, update or delete of ``cases`` or ``complications`` (and every
``TRUNCATE`` on PostgreSQL), whoever makes the change: this package, another
process or a SQL prompt. ``kept_counts`` holds the counts of a search (see
:mod:`stentguide.cases.counts`) with the version they were counted at; they are
read back only while the version is still that one, so a command starting in a
new process finds the counts of a million cases without counting them again,
and never counts that a change has made stale.

SQLite fires its triggers once per row (about a microsecond each); PostgreSQL
once per statement, which holds the version's row until the writing
transaction ends, so two transactions writing cases at once take turns at that
point. (Revision 0007, after 0006, 2026-11-29.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_counts_kept"
down_revision = "0006_case_cell_by_id"
branch_labels = depends_on = None

_COUNTED = ("cases", "complications")
_RAISE = "UPDATE registry_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "registry_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
    )
    op.execute("INSERT INTO registry_version (id, version) VALUES (1, 0)")
    op.create_table(
        "kept_counts",
        sa.Column("search", sa.String(2000), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION stentguide_counted_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {_RAISE};
                RETURN NULL;
            END
            $$
            """
        )
        for table in _COUNTED:
            op.execute(
                f"CREATE TRIGGER {table}_counted AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION stentguide_counted_change()"
            )
        return
    for table in _COUNTED:
        for change in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_counted_{change.lower()} AFTER {change} ON {table} "
                f"BEGIN {_RAISE}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _COUNTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_counted ON {table}")
        op.execute("DROP FUNCTION IF EXISTS stentguide_counted_change()")
    else:
        for table in _COUNTED:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_counted_{change}")
    op.drop_table("kept_counts")
    op.drop_table("registry_version")
