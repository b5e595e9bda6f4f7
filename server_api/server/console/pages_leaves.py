"""Leave requests (请假): pending ones to approve or reject, recent decisions."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from server_api import contract
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    audit, checked_staff, flash, person_in_scope, redirect, render, scoped,
)
from server_api.server.models import Leave, Person
from server_api.server.validation import FormError, optional_text

router = APIRouter()
RECENT_DECISIONS = 50
MAX_NOTE = 1000


def _leaves_page(request: Request, staff: StaffIdentity, status: int = 200,
                 error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        base = (select(Leave).join(Person, Person.id == Leave.person_id)
                .options(selectinload(Leave.person)))
        pending = list(session.scalars(scoped(
            base.where(Leave.status == contract.LeaveStatus.pending.value)
            .order_by(Leave.start_date, Leave.id), Person.centre_id, staff)))
        decided = list(session.scalars(scoped(
            base.where(Leave.status != contract.LeaveStatus.pending.value)
            .order_by(Leave.decided_at.desc(), Leave.id.desc()).limit(RECENT_DECISIONS),
            Person.centre_id, staff)))
    return render(request, "leaves.html", staff, status=status, error=error,
                  pending=pending, decided=decided)


@router.get("/leaves")
def leaves(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _leaves_page(request, staff)


@router.post("/leaves/decide")
def decide(request: Request, leave_key: str = Form(""), decision: str = Form(""),
           note: str = Form(""), staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Approve or reject a pending leave; the terminal shows the outcome and the note."""
    ctx = request.app.state.ctx
    try:
        if decision not in ("approve", "reject"):
            raise FormError("error.decision_required")
        note = optional_text(note, MAX_NOTE)
        with ctx.db.session() as session:
            leave = session.scalar(select(Leave).where(Leave.key == leave_key.strip()))
            if leave is None or person_in_scope(session, staff, leave.person_id) is None:
                raise FormError("error.leave_unknown")
            if leave.status != contract.LeaveStatus.pending.value:
                raise FormError("error.leave_decided")
            approved = decision == "approve"
            status = (contract.LeaveStatus.approved if approved
                      else contract.LeaveStatus.rejected).value
            # Conditional update: of two staff deciding at once, only the first counts.
            done = session.execute(
                update(Leave).where(Leave.id == leave.id,
                                    Leave.status == contract.LeaveStatus.pending.value)
                .values(status=status, decided_at=ctx.clock(), decided_by=staff.id,
                        decision_note=note))
            if done.rowcount != 1:
                raise FormError("error.leave_decided")
            audit(session, staff, ctx.clock(), f"leave_{status}", f"leave:{leave.id}")
            person_name = leave.person.name
    except FormError as exc:
        return _leaves_page(request, staff, 400, exc)
    flash(request, "notice.leave_approved" if approved else "notice.leave_rejected",
          name=person_name)
    return redirect("/console/leaves")
