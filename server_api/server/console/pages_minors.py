"""Minors (未成年人, Arts 52, 54): flag a person as a minor and name the one staff member
who sees their records.

Who may change it: an administrator, for any person of any centre (minors included, so a
minor never ends up seen by nobody), and centre staff for a person they may see (their
centre's adults, and the minors assigned to them). The assigned staff member must be an
active centre-staff account of the person's centre. Every change is audited.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from server_api.server.auth import StaffIdentity
from server_api.server.console.common import (
    RowId, audit, centre_in_scope, checked_staff, flash, form_transaction, person_in_scope,
    redirect,
)
from server_api.server.models import Person, StaffUser
from server_api.server.validation import FormError, parse_id

router = APIRouter()
TICKED = ("yes", "on", "1", "true")


def centre_staff(session: Session, centre_ids: list[int]) -> dict[int, list[StaffUser]]:
    """The active centre-staff accounts of each centre: who may be assigned a minor."""
    accounts = session.scalars(select(StaffUser).where(
        StaffUser.centre_id.in_(centre_ids), StaffUser.role == "staff",
        StaffUser.active.is_(True)).order_by(StaffUser.username))
    grouped: dict[int, list[StaffUser]] = {}
    for account in accounts:
        grouped.setdefault(account.centre_id, []).append(account)
    return grouped


def assignee(session: Session, staff: StaffIdentity, centre_id: int, wanted: str) -> int:
    """The staff account to assign a minor of ``centre_id`` to: the one chosen, or the
    signed-in centre staff member when none is chosen; FormError when not allowed."""
    if not wanted.strip():
        if staff.is_admin:
            raise FormError("error.minor_staff_required")
        return staff.id
    account = session.get(StaffUser, parse_id(wanted, "error.minor_staff_required"))
    if account is None or account.centre_id != centre_id or account.role != "staff" \
            or not account.active:
        raise FormError("error.minor_staff_invalid")
    return account.id


def _person_to_change(session: Session, staff: StaffIdentity, person_id: int) -> Person:
    if staff.is_admin:
        person = session.get(Person, person_id)
    else:
        person = person_in_scope(session, staff, person_id)
    if person is None or centre_in_scope(session, staff, person.centre_id) is None:
        raise HTTPException(404)
    return person


@router.post("/persons/{person_id}/minor")
def set_minor(request: Request, person_id: RowId, is_minor: str = Form(""),
              assigned_staff_id: str = Form(""),
              staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Mark or unmark a person as a minor and choose their assigned staff member."""
    ctx = request.app.state.ctx
    try:
        with form_transaction(ctx.db) as session:
            person = _person_to_change(session, staff, person_id)
            minor = is_minor.strip().lower() in TICKED
            person.is_minor = minor
            person.assigned_staff_id = (assignee(session, staff, person.centre_id,
                                                 assigned_staff_id) if minor else None)
            audit(session, staff, ctx.clock(), "person_minor_set", f"person:{person.id}",
                  f"minor={'yes' if minor else 'no'} staff={person.assigned_staff_id or ''}")
    except FormError as exc:
        from server_api.server.console.pages_persons import _persons_page
        return _persons_page(request, staff, 400, exc)
    flash(request, "notice.minor_saved")
    return redirect("/console/persons")
