"""The dashboard, the check-in list and check-in snapshots."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api import contract
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    SECURITY_HEADERS, RowId, person_in_scope, render, scoped,
)
from server_api.server.models import Checkin, Leave, Person, Terminal

router = APIRouter()
DASHBOARD_CHECKINS = 10
LIST_CHECKINS = 200


def recent_checkins(session, staff: StaffIdentity, limit: int) -> list[Checkin]:
    stmt = (select(Checkin).join(Person, Person.id == Checkin.person_id)
            .options(selectinload(Checkin.person), selectinload(Checkin.terminal))
            .order_by(Checkin.occurred_at.desc(), Checkin.id.desc()).limit(limit))
    return list(session.scalars(scoped(stmt, Person.centre_id, staff)))


def _count(session, stmt, column, staff: StaffIdentity) -> int:
    return session.scalar(scoped(stmt, column, staff)) or 0


@router.get("/")
def dashboard(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        counts = {
            "persons": _count(session, select(func.count(Person.id)), Person.centre_id, staff),
            "pending_leaves": _count(
                session, select(func.count(Leave.id)).join(Person, Person.id == Leave.person_id)
                .where(Leave.status == contract.LeaveStatus.pending.value),
                Person.centre_id, staff),
            "terminals": _count(session, select(func.count(Terminal.id))
                                .where(Terminal.revoked_at.is_(None)), Terminal.centre_id, staff),
        }
        checkins = recent_checkins(session, staff, DASHBOARD_CHECKINS)
    return render(request, "dashboard.html", staff, counts=counts, checkins=checkins)


@router.get("/checkins")
def checkins_page(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        checkins = recent_checkins(session, staff, LIST_CHECKINS)
    return render(request, "checkins.html", staff, checkins=checkins)


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
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type="image/jpeg", headers=SECURITY_HEADERS)
