"""The dashboard (open staff calls first, terminals not online, refreshed in place) and
check-in snapshots (the check-in list: ``pages_checkins``)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api import contract
from server_api.server.auth import StaffIdentity, csrf_token, current_staff
from server_api.server.biometrics import active_persons
from server_api.server.console.common import (
    SECURITY_HEADERS, RowId, audit, centre_in_scope, checked_staff, flash, language,
    person_in_scope, redirect, render, scoped,
)
from server_api.server.console.listing import local_today
from server_api.server.console.pages_overdue import return_overdue
from server_api.server.console.pages_reporting import still_missing_count
from server_api.server.console.pages_verifications import open_count as open_verifications
from server_api.server.fleet import STATES, terminal_views
from server_api.server.i18n import translator
from server_api.server.leave_policy import return_days_overrides
from server_api.server.models import Checkin, Leave, Person, StaffCall, Terminal

router = APIRouter()
DASHBOARD_CHECKINS = 10
DASHBOARD_STAFF_CALLS = 100
# How often an open dashboard fetches its panels again (seconds).
DASHBOARD_REFRESH_S = 3


def recent_checkins(session, staff: StaffIdentity, limit: int) -> list[Checkin]:
    stmt = (select(Checkin).join(Person, Person.id == Checkin.person_id)
            .options(selectinload(Checkin.person), selectinload(Checkin.terminal))
            .order_by(Checkin.occurred_at.desc(), Checkin.id.desc()).limit(limit))
    return list(session.scalars(scoped(stmt, Person.centre_id, staff)))


def open_staff_calls(session, staff: StaffIdentity, limit: int) -> list[StaffCall]:
    """Unresolved calls from the terminals of the staff member's scope, newest first."""
    stmt = (select(StaffCall).join(Terminal, Terminal.id == StaffCall.terminal_id)
            .where(StaffCall.resolved_at.is_(None))
            .options(selectinload(StaffCall.terminal), selectinload(StaffCall.person))
            .order_by(StaffCall.occurred_at.desc(), StaffCall.id.desc()).limit(limit))
    return list(session.scalars(scoped(stmt, Terminal.centre_id, staff)))


def _count(session, stmt, column, staff: StaffIdentity) -> int:
    return session.scalar(scoped(stmt, column, staff)) or 0


def _dashboard(request: Request, staff: StaffIdentity) -> dict:
    """What the dashboard's panels show (the page and its live fragment)."""
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        counts = {
            "persons": _count(session, select(func.count(Person.id)).where(active_persons()),
                              Person.centre_id, staff),
            "pending_leaves": _count(
                session, select(func.count(Leave.id)).join(Person, Person.id == Leave.person_id)
                .where(Leave.status == contract.LeaveStatus.pending.value),
                Person.centre_id, staff),
            "staff_calls": _count(
                session, select(func.count(StaffCall.id))
                .join(Terminal, Terminal.id == StaffCall.terminal_id)
                .where(StaffCall.resolved_at.is_(None)), Terminal.centre_id, staff),
            "open_verifications": open_verifications(session, staff),
            "overdue_returns": _count(
                session, select(func.count(Leave.id)).join(Person, Person.id == Leave.person_id)
                .where(return_overdue(local_today(request), return_days_overrides(session))),
                Person.centre_id, staff),
            "reporting_missed": still_missing_count(session, staff, request),
        }
        staff_calls = open_staff_calls(session, staff, DASHBOARD_STAFF_CALLS)
        checkins = recent_checkins(session, staff, DASHBOARD_CHECKINS)
        terminals = list(session.scalars(scoped(
            select(Terminal).options(selectinload(Terminal.centre))
            .order_by(Terminal.name, Terminal.id), Terminal.centre_id, staff)))
        views = terminal_views(session, terminals, ctx.clock())
    counts["terminals"] = sum(v.state != "revoked" for v in views)
    by_state = {state: sum(v.state == state for v in views) for state in STATES}
    not_online = [v for v in views if v.state in ("stale", "offline", "never")]
    return dict(counts=counts, checkins=checkins, staff_calls=staff_calls,
                terminal_states=by_state, not_online=not_online)


@router.get("/")
def dashboard(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return render(request, "dashboard.html", staff, refresh_s=DASHBOARD_REFRESH_S,
                  **_dashboard(request, staff))


@router.get("/dashboard/live")
def dashboard_live(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The dashboard's panels alone: the open page fetches them every few seconds (it
    leaves the session's pending notices alone, unlike ``render``)."""
    context = dict(_dashboard(request, staff), t=translator(language(request)), staff=staff,
                   csrf=csrf_token(request), lang=language(request))
    return request.app.state.ctx.templates.TemplateResponse(
        request, "_dashboard_live.html", context, headers=SECURITY_HEADERS)


@router.post("/staff-calls/{call_id}/resolve")
def resolve_staff_call(request: Request, call_id: RowId,
                       staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Mark a call for help as dealt with; a call outside the staff member's scope is 404."""
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        call = session.get(StaffCall, call_id)
        if call is None or centre_in_scope(session, staff, call.terminal.centre_id) is None:
            raise HTTPException(404)
        # Conditional update: of two staff resolving at once, only the first is recorded.
        now = ctx.clock()
        done = session.execute(
            update(StaffCall).where(StaffCall.id == call.id, StaffCall.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=staff.id)).rowcount == 1
        if done:
            audit(session, staff, now, "staff_call_resolve", f"staff_call:{call.id}",
                  f"terminal:{call.terminal_id}")
        terminal_name = call.terminal.name
    flash(request, "notice.staff_call_resolved" if done else "notice.staff_call_already_resolved",
          terminal=terminal_name)
    return redirect("/console/")


@router.get("/checkins/{checkin_id}/snapshot")
def snapshot(request: Request, checkin_id: RowId,
             staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The check-in photo, for staff of the person's centre only."""
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        checkin = session.get(Checkin, checkin_id)
        if checkin is None or checkin.snapshot_path is None \
                or person_in_scope(session, staff, checkin.person_id) is None:
            raise HTTPException(404)
        path = ctx.storage.resolve(checkin.snapshot_path)
        # Reading a person's photo is a read of personal data (Art 61): audited.
        audit(session, staff, ctx.clock(), "checkin_snapshot_view", f"checkin:{checkin_id}",
              f"person:{checkin.person_id}")
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type="image/jpeg", headers=SECURITY_HEADERS)
