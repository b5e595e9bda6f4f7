"""Terminals: one-time enrolment tokens, the list of terminals with their reported
state, revocation."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    RowId, audit, centre_in_scope, checked_staff, flash, redirect, render, scoped,
    terminal_in_scope, visible_centres,
)
from server_api.server.fleet import terminal_views
from server_api.server.models import Terminal
from server_api.server.terminal_auth import issue_enrol_token
from server_api.server.validation import FormError, parse_id

router = APIRouter()


def _terminals_page(request: Request, staff: StaffIdentity, status: int = 200,
                    error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        stmt = (select(Terminal).options(selectinload(Terminal.centre))
                .order_by(Terminal.revoked_at.is_not(None), Terminal.created_at.desc()))
        terminals = list(session.scalars(scoped(stmt, Terminal.centre_id, staff)))
        views = terminal_views(session, terminals, ctx.clock())
        centres = visible_centres(session, staff)
    return render(request, "terminals.html", staff, status=status, error=error,
                  views=views, centres=centres)


@router.get("/terminals")
def terminals(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _terminals_page(request, staff)


@router.post("/terminals/token")
def create_token(request: Request, centre_id: str = Form(""),
                 staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Create a one-time enrolment token; the page shows it once and it is never stored."""
    ctx = request.app.state.ctx
    try:
        if not centre_id.strip() and not staff.is_admin:
            centre_id = str(staff.centre_id)
        wanted = parse_id(centre_id, "error.centre_required")
        with ctx.db.session() as session:
            centre = centre_in_scope(session, staff, wanted)
            if centre is None:
                raise FormError("error.centre_unknown")
            ttl = dt.timedelta(hours=ctx.settings.enrol_token_ttl_hours)
            token, row = issue_enrol_token(session, centre.id, ctx.clock(), ttl, staff.id)
            audit(session, staff, ctx.clock(), "enrol_token_create", f"centre:{centre.id}",
                  f"token:{row.id}")
            centre_name, expires_at = centre.name, row.expires_at
    except FormError as exc:
        return _terminals_page(request, staff, 400, exc)
    return render(request, "token.html", staff, token=token, centre_name=centre_name,
                  expires_at=expires_at)


@router.post("/terminals/{terminal_id}/revoke")
def revoke(request: Request, terminal_id: RowId,
           staff: StaffIdentity = Depends(checked_staff)) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        terminal = terminal_in_scope(session, staff, terminal_id)
        if terminal.revoked_at is None:
            terminal.revoked_at = ctx.clock()
            audit(session, staff, ctx.clock(), "terminal_revoke", f"terminal:{terminal.id}",
                  terminal.public_id)
        name = terminal.name
    flash(request, "notice.terminal_revoked", name=name)
    return redirect("/console/terminals")


@router.post("/terminals/{terminal_id}/disable")
def disable(request: Request, terminal_id: RowId,
            staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Suspend a terminal (暂停接入): every request it makes is refused until it is let
    back in; unlike a revocation its key stays valid and nothing is provisioned again."""
    return _set_disabled(request, terminal_id, staff, disabled=True)


@router.post("/terminals/{terminal_id}/enable")
def enable(request: Request, terminal_id: RowId,
           staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Let a suspended terminal back in."""
    return _set_disabled(request, terminal_id, staff, disabled=False)


def _set_disabled(request: Request, terminal_id: int, staff: StaffIdentity,
                  disabled: bool) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        terminal = terminal_in_scope(session, staff, terminal_id)
        if terminal.revoked_at is None and (terminal.disabled_at is not None) != disabled:
            terminal.disabled_at = ctx.clock() if disabled else None
            audit(session, staff, ctx.clock(),
                  "terminal_disable" if disabled else "terminal_enable",
                  f"terminal:{terminal.id}", terminal.public_id)
        name = terminal.name
    flash(request, "notice.terminal_disabled" if disabled else "notice.terminal_enabled",
          name=name)
    return redirect("/console/terminals")
