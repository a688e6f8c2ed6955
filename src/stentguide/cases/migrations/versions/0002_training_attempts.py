"""Training attempts: one append-only row per finished play-through of a training case.

Revision ID: 0002_training_attempts
Revises: 0001_initial
Create Date: 2026-01-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_training_attempts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_TABLE = "training_attempts"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("trainee_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("case_version", sa.String(16), nullable=False),
        sa.Column("choices", sa.JSON, nullable=False),
        sa.Column("score", sa.JSON, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("end_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("finished_at", _TZ, nullable=False),
        sa.Column("elapsed_seconds", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_training_attempts"),
    )
    op.create_index("ix_training_attempts_trainee_id", _TABLE, ["trainee_id"])
    op.create_index("ix_training_attempts_case_id", _TABLE, ["case_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION stentguide_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION stentguide_refuse_change()"
        )
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {_TABLE}_no_{op_name.lower()} BEFORE {op_name} ON {_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'table {_TABLE} is append-only: {op_name} refused'); "
                "END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_append_only ON {_TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_truncate ON {_TABLE}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_delete")
    op.drop_index("ix_training_attempts_case_id", table_name=_TABLE)
    op.drop_index("ix_training_attempts_trainee_id", table_name=_TABLE)
    op.drop_table(_TABLE)
