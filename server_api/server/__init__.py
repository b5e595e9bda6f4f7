"""The reference central server: terminal API (``/api/v1``) and staff console (``/console``).

``create_app(database_url, data_dir)`` builds the FastAPI application (see ``app.py``);
``server_api.cli`` runs it with uvicorn.
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    # Imported lazily so that ``server_api.server.models`` & co. stay cheap to import.
    if name == "create_app":
        from server_api.server.app import create_app
        return create_app
    raise AttributeError(name)
