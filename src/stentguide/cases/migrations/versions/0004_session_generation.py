"""Revocable login sessions: a ``session_generation`` counter on ``users``.

A session token carries the generation it was issued under; logging out,
changing the password or the role, or deactivating the account raises the
counter, which ends every session issued before.

Revision ID: 0004_session_generation
Revises: 0003_run_event_actor
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_session_generation"
down_revision = "0003_run_event_actor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
