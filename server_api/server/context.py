"""What every request handler needs, built once by ``create_app`` and kept on ``app.state``."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates

from server_api.server.clock import Clock
from server_api.server.db import Database
from server_api.server.settings import CentralSettings
from server_api.server.storage import Storage


@dataclass
class ServerContext:
    settings: CentralSettings
    db: Database
    storage: Storage
    clock: Clock
    templates: Jinja2Templates


async def get_context(request: Request) -> ServerContext:
    """FastAPI dependency: the server context of the running app (async: it blocks on
    nothing, so FastAPI need not hand it to a worker thread)."""
    return request.app.state.ctx
