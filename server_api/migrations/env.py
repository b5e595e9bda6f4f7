"""Alembic environment: the models' metadata, and the database given by the caller.

The server passes an open connection in ``config.attributes["connection"]`` (see
``server_api.server.migrate``); the ``alembic`` command line uses
``KIOSK_CENTRAL_DATABASE_URL`` or the default SQLite file.
"""
from __future__ import annotations

import os

from alembic import context

from server_api.server.db import make_engine
from server_api.server.models import Base, UTCDateTime
from server_api.server.settings import CentralSettings

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    return (config.attributes.get("database_url")
            or os.environ.get("KIOSK_CENTRAL_DATABASE_URL")
            or CentralSettings().resolved_database_url())


def _render_item(type_, obj, autogen_context):
    """Write UTCDateTime as a plain DateTime so revisions never import the models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure_and_run(**kwargs) -> None:
    context.configure(target_metadata=target_metadata, compare_type=True,
                      render_item=_render_item, **kwargs)
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    url = _database_url()
    _configure_and_run(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection=connection,
                           render_as_batch=connection.dialect.name == "sqlite")
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as conn:
            _configure_and_run(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
