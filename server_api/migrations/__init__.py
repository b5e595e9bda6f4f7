"""Alembic migrations of the central server's database (SQLite and PostgreSQL).

Run them with ``kiosk-central migrate`` or ``server_api.server.migrate.upgrade_to_head``;
developers can also use ``alembic -c server_api/migrations/alembic.ini ...`` with
``KIOSK_CENTRAL_DATABASE_URL`` set.
"""
