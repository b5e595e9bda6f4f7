"""Alembic environment of the terminal's database; the caller passes the connection."""
from __future__ import annotations

from alembic import context

from kiosk.store.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
