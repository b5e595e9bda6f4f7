"""The application factory of the central server."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

from server_api import contract
from server_api.server import console
from server_api.server.auth import ensure_initial_admin, session_secret
from server_api.server.clock import Clock, utc_now
from server_api.server.console.common import make_templates, render_error
from server_api.server.content_api import publish_content, router as content_router
from server_api.server.content_repo import ContentRepository
from server_api.server.context import ServerContext, get_context
from server_api.server.db import Database
from server_api.server.errors import install_error_handlers
from server_api.server.approvals_api import router as approvals_router
from server_api.server.fleet_api import router as fleet_router
from server_api.server.migrate import upgrade_to_head
from server_api.server.questionnaire_api import router as questionnaire_router
from server_api.server.settings import CentralSettings
from server_api.server.storage import Storage
from server_api.server.terminal_api import router as terminal_router

log = logging.getLogger(__name__)
SESSION_COOKIE = "kiosk_console"


def create_app(database_url: str, data_dir: Path, *, settings: CentralSettings | None = None,
               clock: Clock = utc_now) -> FastAPI:
    """Build the server: migrate the database to head, create the first admin if needed.

    ``settings`` defaults to the environment (``KIOSK_CENTRAL_*``); ``database_url`` and
    ``data_dir`` given here take precedence. ``clock`` lets tests control time.
    """
    data_dir = Path(data_dir).resolve()
    settings = (settings or CentralSettings()).model_copy(
        update={"database_url": database_url, "data_dir": data_dir})
    storage = Storage(data_dir)
    db = Database(database_url)
    upgrade_to_head(db.engine)
    ensure_initial_admin(db, data_dir, clock, settings.admin_password)
    ContentRepository(data_dir).ensure(clock())  # content signing keys, first metadata
    ctx = ServerContext(settings=settings, db=db, storage=storage, clock=clock,
                        templates=make_templates(settings.display_timezone))
    publish_content(ctx)  # definitions new in this release (questionnaires) signed at once

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        db.dispose()

    app = FastAPI(title="Correction kiosk central server", version="1",
                  description=(contract.__doc__ or "").strip(), lifespan=lifespan)
    app.state.ctx = ctx
    app.add_middleware(SessionMiddleware,
                       secret_key=session_secret(settings.session_secret, data_dir),
                       session_cookie=SESSION_COOKIE, max_age=settings.session_max_age_s,
                       path="/console", same_site="lax", https_only=settings.session_https_only)
    # After every other middleware: its last-resort handler must wrap them all.
    install_error_handlers(app, html_renderer=render_error,
                           max_api_body_bytes=settings.max_api_body_bytes)
    app.include_router(terminal_router)
    app.include_router(fleet_router)
    app.include_router(approvals_router)
    app.include_router(content_router)
    app.include_router(questionnaire_router)
    console.install(app)

    @app.get("/healthz", response_model=contract.Health, tags=["health"],
             responses={503: {"model": contract.Health}})
    def healthz(ctx: ServerContext = Depends(get_context)):
        """Liveness and database reachability (no authentication)."""
        if ctx.db.ping():
            return contract.Health(status="ok", database="ok")
        return JSONResponse(contract.Health(status="degraded", database="unreachable").model_dump(),
                            status_code=503)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    log.info("central server ready (database %s, data %s)", db.dialect, data_dir)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``kiosk-central --workers N`` (settings from the
    environment, which the parent process filled in)."""
    settings = CentralSettings()
    return create_app(settings.resolved_database_url(), settings.data_dir, settings=settings)
