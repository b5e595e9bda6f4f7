"""The staff console under ``/console/``: server-rendered pages, Chinese first.

Each ``pages_*`` module holds the routes of one page; ``common`` the rendering, scoping
and form helpers they share. Texts come from ``server_api/server/locale/*.json``.
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from server_api.server.auth import LoginRequired
from server_api.server.console import (
    pages_admin, pages_approvals, pages_audit, pages_auth, pages_checkins, pages_enrolment,
    pages_fleet, pages_home, pages_leaves, pages_lesson_credit, pages_lessons, pages_minors,
    pages_overdue, pages_persons, pages_plans, pages_questionnaires, pages_reporting,
    pages_reports, pages_terminals, pages_verifications,
)
from server_api.server.console.common import EditorHome, role_guard

router = APIRouter(prefix="/console", include_in_schema=False)
# Sign-in pages are open; every other page needs a signed-in staff member of a role
# allowed there (``role_guard``).
router.include_router(pages_auth.router)
for _module in (pages_home, pages_admin, pages_persons, pages_terminals, pages_leaves,
                pages_lessons, pages_verifications, pages_audit, pages_fleet, pages_checkins,
                pages_overdue, pages_enrolment, pages_minors, pages_approvals, pages_reports,
                pages_plans, pages_reporting, pages_lesson_credit, pages_questionnaires):
    router.include_router(_module.router, dependencies=[Depends(role_guard)])


def install(app: FastAPI) -> None:
    """Mount the console and send signed-out visitors to the sign-in page."""
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        return RedirectResponse("/console/login?next=" + quote(target, safe=""), status_code=303)

    @app.exception_handler(EditorHome)
    async def editor_home(request: Request, exc: EditorHome) -> Response:
        return RedirectResponse("/console/lessons", status_code=303)
