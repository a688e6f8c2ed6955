"""Alembic environment: runs on the connection the registry hands over.

The registry opens the connection and the transaction itself (see
``stentguide.cases.migrate``) so that migrations and the check for a database
newer than the code happen under one lock.
"""

from __future__ import annotations

from alembic import context

from stentguide.cases.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
