"""Who recorded each run event: an ``actor`` column on ``run_events``.

An answer is then one appended row that names its author, with no separate
audit line; events stored before this revision have no actor (null).

Revision ID: 0003_run_event_actor
Revises: 0002_training_attempts
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_run_event_actor"
down_revision = "0002_training_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run_events", sa.Column("actor", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("run_events", "actor")
