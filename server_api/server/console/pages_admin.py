"""Centres and staff accounts (administrators only)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from starlette.exceptions import HTTPException

from server_api.server import lockout
from server_api.server.auth import StaffIdentity, current_staff, hash_password
from server_api.server.console.common import (
    RowId, admin_only, audit, checked_staff, flash, form_transaction, redirect, render,
)
from server_api.server.models import Centre, Person, StaffUser, Terminal
from server_api.server.validation import (
    FormError, check_password, check_role, check_username, required_text,
)

router = APIRouter()


def _centres_page(request: Request, staff: StaffIdentity, status: int = 200,
                  error: FormError | None = None, name: str = "") -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        persons = dict(session.execute(select(Person.centre_id, func.count(Person.id))
                                       .group_by(Person.centre_id)).all())
        terminals = dict(session.execute(select(Terminal.centre_id, func.count(Terminal.id))
                                         .where(Terminal.revoked_at.is_(None))
                                         .group_by(Terminal.centre_id)).all())
        centres = list(session.scalars(select(Centre).order_by(Centre.name)))
    return render(request, "centres.html", staff, status=status, error=error, name=name,
                  centres=centres, persons=persons, terminals=terminals)


@router.get("/centres")
def centres(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    admin_only(staff)
    return _centres_page(request, staff)


@router.post("/centres")
def create_centre(request: Request, name: str = Form(""),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    admin_only(staff)
    ctx = request.app.state.ctx
    try:
        name = required_text(name, "error.centre_name_required", 100)
        with form_transaction(ctx.db) as session:
            if session.scalar(select(Centre.id).where(Centre.name == name)):
                raise FormError("error.centre_exists", name=name)
            centre = Centre(name=name, created_at=ctx.clock())
            session.add(centre)
            session.flush()
            audit(session, staff, ctx.clock(), "centre_create", f"centre:{centre.id}", name)
    except FormError as exc:
        return _centres_page(request, staff, 400, exc, name)
    flash(request, "notice.centre_created", name=name)
    return redirect("/console/centres", created=centre.id)


def _staff_page(request: Request, staff: StaffIdentity, status: int = 200,
                error: FormError | None = None, values: dict | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        accounts = list(session.scalars(select(StaffUser).options(selectinload(StaffUser.centre))
                                        .order_by(StaffUser.username)))
        centres = list(session.scalars(select(Centre).order_by(Centre.name)))
        locked = lockout.locked_accounts(session, [a.username for a in accounts], ctx.clock())
    return render(request, "staff.html", staff, status=status, error=error, accounts=accounts,
                  centres=centres, values=values or {"role": "staff"}, locked=locked)


@router.get("/staff")
def staff_accounts(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    admin_only(staff)
    return _staff_page(request, staff)


@router.post("/staff")
def create_staff(request: Request, username: str = Form(""), password: str = Form(""),
                 role: str = Form("staff"), centre_id: str = Form(""),
                 staff: StaffIdentity = Depends(checked_staff)) -> Response:
    admin_only(staff)
    ctx = request.app.state.ctx
    values = {"username": username, "role": role, "centre_id": centre_id}
    try:
        username = check_username(username)
        check_password(password)
        role = check_role(role)
        with form_transaction(ctx.db) as session:
            centre = session.get(Centre, int(centre_id)) if centre_id.strip().isdigit() else None
            if centre_id.strip() and centre is None:
                raise FormError("error.centre_unknown")
            if role == "staff" and centre is None:
                raise FormError("error.staff_needs_centre")
            if role == "editor":  # the lesson library is shared by every centre
                centre = None
            if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
                raise FormError("error.username_taken", username=username)
            user = StaffUser(username=username, password_hash=hash_password(password), role=role,
                             centre_id=centre.id if centre else None, active=True,
                             created_at=ctx.clock())
            session.add(user)
            session.flush()
            audit(session, staff, ctx.clock(), "staff_create", f"staff:{user.id}",
                  f"{username} role={role} centre={user.centre_id}")
    except FormError as exc:
        return _staff_page(request, staff, 400, exc, values)
    flash(request, "notice.staff_created", username=username)
    return redirect("/console/staff", created=user.id)


@router.post("/staff/{account_id}/unlock")
def unlock_staff(request: Request, account_id: RowId,
                 staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Lift the sign-in lockout of an account before it runs out (audited)."""
    admin_only(staff)
    ctx = request.app.state.ctx
    with ctx.db.session(write=True) as session:
        account = session.get(StaffUser, account_id)
        if account is None:
            raise HTTPException(404)
        was_locked = lockout.clear(session, lockout.account_key(account.username), ctx.clock())
        audit(session, staff, ctx.clock(), "staff_unlock", f"staff:{account.id}",
              "was_locked" if was_locked else "not_locked")
        username = account.username
    flash(request, "notice.staff_unlocked", username=username)
    return redirect("/console/staff")
