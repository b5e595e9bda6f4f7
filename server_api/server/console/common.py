"""Shared pieces of the console pages: rendering, notices, CSRF, scoping, audit.

Scoping rule: an ``admin`` sees every centre; any other staff member sees only the
centre of their account. Out-of-scope records answer 404, as if they did not exist.
A minor's records (未成年人, Arts 52, 54) are seen only by the staff member assigned to
them, whatever the role: ``person_visible``.
Roles: a content ``editor`` reaches only the pages listed in ``EDITOR_PAGES`` (the
lesson library), every other page answers 403 (``role_guard``, on every console router
but sign-in's); administrator-only pages call ``admin_only``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Path as PathParam, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from server_api.server.auth import StaffIdentity, csrf_token, current_staff
from server_api.server.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator
from server_api.server.db import Database
from server_api.server.models import MAX_ID, AuditEntry, Centre, Person, Terminal
from server_api.server.validation import FormError
from server_api.names import mask_id_number, mask_name

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# A row id in a console URL; beyond PostgreSQL's INTEGER it cannot name a row (422).
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
STATUS_MESSAGES = {403: "error.forbidden", 404: "error.not_found", 405: "error.not_found",
                   422: "error.bad_request"}
# The detail of a 403 for a page the staff member's role may not open (own message).
ROLE_FORBIDDEN = "error.role_forbidden"


def make_templates(display_timezone: str) -> Jinja2Templates:
    """The console's Jinja2 environment, with a filter showing UTC times in local time."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    zone = ZoneInfo(display_timezone)

    def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)

    def filesize(size: int) -> str:
        return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{max(1, round(size / 1024))} KB"

    templates.env.filters["localtime"] = localtime
    templates.env.filters["filesize"] = filesize
    templates.env.filters["mask_name"] = mask_name
    templates.env.filters["mask_id"] = mask_id_number
    return templates


def language(request: Request) -> str:
    lang = request.session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def flash(request: Request, key: str, **params: object) -> None:
    """Queue a notice (catalogue key) for the next page shown."""
    request.session.setdefault("flash", []).append([key, params])
    request.session["flash"] = request.session["flash"]  # mark the session modified


def render(request: Request, template: str, staff: StaffIdentity | None = None,
           status: int = 200, **context: object) -> HTMLResponse:
    """Render a page with the translator ``t``, notices, CSRF token and the signed-in staff."""
    ctx = request.app.state.ctx
    t = translator(language(request))
    notices = [t(key, **params) for key, params in request.session.pop("flash", [])]
    error = context.pop("error", None)
    if error is not None and not isinstance(error, str):  # a FormError
        error = t(error.key, **error.params)
    context.update(t=t, lang=language(request), staff=staff, csrf=csrf_token(request),
                   notices=notices, error=error, path=request.url.path)
    return ctx.templates.TemplateResponse(request, template, context, status_code=status,
                                          headers=SECURITY_HEADERS)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The HTML page for an error under /console (message text from the catalogue; the
    error's own message is shown only when it is ``ROLE_FORBIDDEN``)."""
    key = ROLE_FORBIDDEN if message == ROLE_FORBIDDEN else STATUS_MESSAGES.get(status,
                                                                                "error.generic")
    return render(request, "error.html", None, status=status, message_key=key)


def redirect(path: str, **query: object) -> RedirectResponse:
    """303 See Other to a console page (after a successful form post)."""
    suffix = "?" + urlencode(query) if query else ""
    return RedirectResponse(path + suffix, status_code=303)


def checked_staff(request: Request, staff: StaffIdentity = Depends(current_staff),
                  csrf_token_field: str = Form("", alias="csrf_token")) -> StaffIdentity:
    """Dependency for form posts: a signed-in staff member and a matching CSRF token."""
    if not csrf_token_field or csrf_token_field != request.session.get("csrf"):
        raise HTTPException(403, "invalid form token, reload the page")
    return staff


class EditorHome(Exception):
    """A content editor opened the dashboard: send them to the lesson library instead."""


# The endpoints (route functions' qualified names) a content editor may reach.
EDITOR_PAGES = frozenset({
    "server_api.server.console.pages_lessons.lessons",
    "server_api.server.console.pages_lessons.upload_lesson",
})
EDITOR_HOME = "server_api.server.console.pages_home.dashboard"


def role_guard(request: Request, staff: StaffIdentity = Depends(current_staff)) -> None:
    """Router dependency: a content editor gets 403 outside the lesson library.

    Default-deny, so a page added later stays closed to editors until listed here.
    """
    if not staff.is_editor:
        return
    endpoint = request.scope.get("endpoint")
    name = f"{getattr(endpoint, '__module__', '')}.{getattr(endpoint, '__name__', '')}"
    if name == EDITOR_HOME:
        raise EditorHome()
    if name not in EDITOR_PAGES:
        raise HTTPException(403, ROLE_FORBIDDEN)


def admin_only(staff: StaffIdentity) -> None:
    if not staff.is_admin:
        raise HTTPException(403, ROLE_FORBIDDEN)


def hidden_minors(staff: StaffIdentity) -> Select:
    """Ids of the minors whose records this staff member may not see (Arts 52, 54)."""
    return select(Person.id).where(Person.is_minor.is_(True), or_(
        Person.assigned_staff_id.is_(None), Person.assigned_staff_id != staff.id))


def person_visible(person_column, staff: StaffIdentity):
    """A condition on a person-id column: no person, or one this staff member may see."""
    return or_(person_column.is_(None), person_column.not_in(hidden_minors(staff)))


def not_minor(person_column):
    """A condition on a person-id column: no person, or one who is not a minor (exports)."""
    minors = select(Person.id).where(Person.is_minor.is_(True))
    return or_(person_column.is_(None), person_column.not_in(minors))


def may_see(staff: StaffIdentity, person: Person) -> bool:
    """The minor rule for one person already loaded."""
    return not person.is_minor or person.assigned_staff_id == staff.id


def scoped(stmt: Select, centre_column, staff: StaffIdentity) -> Select:
    """Restrict a query to the staff member's centre unless they are an admin; a query
    scoped by the person's centre also leaves out the minors they may not see."""
    if centre_column is Person.centre_id:
        stmt = stmt.where(person_visible(Person.id, staff))
    return stmt if staff.is_admin else stmt.where(centre_column == staff.centre_id)


def visible_centres(session: Session, staff: StaffIdentity) -> list[Centre]:
    return list(session.scalars(scoped(select(Centre).order_by(Centre.name), Centre.id, staff)))


def centre_in_scope(session: Session, staff: StaffIdentity, centre_id: int) -> Centre | None:
    centre = session.get(Centre, centre_id)
    if centre is None or (not staff.is_admin and centre.id != staff.centre_id):
        return None
    return centre


def person_in_scope(session: Session, staff: StaffIdentity, person_id: int) -> Person | None:
    person = session.get(Person, person_id)
    if person is None or (not staff.is_admin and person.centre_id != staff.centre_id):
        return None
    return person if may_see(staff, person) else None


def terminal_in_scope(session: Session, staff: StaffIdentity, terminal_id: int) -> Terminal:
    """The terminal, if of the staff member's scope; else 404, as if it did not exist."""
    terminal = session.get(Terminal, terminal_id)
    if terminal is None or (not staff.is_admin and terminal.centre_id != staff.centre_id):
        raise HTTPException(404)
    return terminal


def audit(session: Session, staff: StaffIdentity | None, at: dt.datetime, action: str,
          target: str = "", detail: str = "") -> None:
    """Append a staff action to the audit log (never secrets or personal documents)."""
    session.add(AuditEntry(at=at, staff_id=staff.id if staff else None, action=action,
                           target=target, detail=detail))


@contextmanager
def form_transaction(db: Database) -> Iterator[Session]:
    """A session for a form post; a unique-constraint race becomes a form error."""
    try:
        with db.session() as session:
            yield session
    except IntegrityError:
        raise FormError("error.conflict") from None
