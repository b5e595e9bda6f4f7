"""The terminal's durable storage: SQLite through SQLAlchemy, WAL and full sync."""
from kiosk.store.db import open_store, Store

__all__ = ["open_store", "Store"]
