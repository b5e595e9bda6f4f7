"""Run the Alembic migrations from code, independent of the current directory."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import server_api.migrations

MIGRATIONS_DIR = Path(server_api.migrations.__file__).parent


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed).

    The URL travels in ``attributes`` rather than ``sqlalchemy.url`` because the ini
    syntax would mangle a ``%`` in a password.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest revision, in one transaction."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
