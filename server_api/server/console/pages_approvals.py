"""Other approvals (执行地变更, 会客, 迁居, 经常性跨市县, 病情复查延期): list and decide.

Filtered by status (default: pending, to decide) and type; centre staff see their own
centre only. A decision (approve or reject, with a reason) is audited and reaches the
terminal's "我的申请" screen with its note. A rejection needs a reason: the person is
told why (Community Correction Law art. 27: granted for a legitimate reason).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from server_api import contract
from server_api.server.approval_models import Approval
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    audit, checked_staff, flash, person_in_scope, render, visible_centres,
)
from server_api.server.console.listing import Filters, Pager, back_to, in_centre, read_filters
from server_api.server.models import Person
from server_api.server.validation import FormError, optional_text

router = APIRouter()
MAX_NOTE = 1000
STATUSES = tuple(s.value for s in contract.ApprovalStatus)
TYPES = tuple(t.value for t in contract.ApprovalType)
PENDING = contract.ApprovalStatus.pending.value
FILTERS = ("status", "type")


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    filters = read_filters(request, staff, FILTERS, {"status": PENDING})
    if filters.values["status"] not in STATUSES:
        filters.values["status"] = ""  # all
    if filters.values["type"] not in TYPES:
        filters.values["type"] = ""
    return filters


def _query(staff: StaffIdentity, filters: Filters, columns=None):
    stmt = (select(*(columns or (Approval,))).select_from(Approval)
            .join(Person, Person.id == Approval.person_id))
    for name, column in (("status", Approval.status), ("type", Approval.type)):
        if filters.values[name]:
            stmt = stmt.where(column == filters.values[name])
    return in_centre(stmt, Person.centre_id, staff, filters)


def _page(request: Request, staff: StaffIdentity, status: int = 200,
          error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    rows, filters, pager = [], Filters({"status": PENDING, "type": ""}), Pager(1, 0)
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
            total = session.scalar(_query(staff, filters, (func.count(Approval.id),))) or 0
            pager = Pager(filters.page, total)
            order = ((Approval.start_date, Approval.id) if filters.values["status"] == PENDING
                     else (Approval.requested_at.desc(), Approval.id.desc()))
            rows = list(session.scalars(
                _query(staff, filters)
                .options(selectinload(Approval.person).selectinload(Person.centre))
                .order_by(*order).offset(pager.offset).limit(pager.per_page)))
        except FormError as exc:
            status, error = 400, error or exc
        centres = visible_centres(session, staff)
    return render(request, "approvals.html", staff, status=status, error=error,
                  filters=filters, rows=rows, pager=pager, centres=centres,
                  statuses=STATUSES, types=TYPES, max_note=MAX_NOTE)


@router.get("/approvals")
def approvals(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _page(request, staff)


@router.post("/approvals/decide")
def decide(request: Request, approval_key: str = Form(""), decision: str = Form(""),
           note: str = Form(""), back: str = Form(""),
           staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Approve or reject a pending request (a rejection needs a reason); audited."""
    ctx = request.app.state.ctx
    try:
        if decision not in ("approve", "reject"):
            raise FormError("error.decision_required")
        note = optional_text(note, MAX_NOTE)
        if decision == "reject" and not note:
            raise FormError("error.approval_reason_required")
        with ctx.db.session() as session:
            row = session.scalar(select(Approval).where(Approval.key == approval_key.strip()[:64]))
            if row is None or person_in_scope(session, staff, row.person_id) is None:
                raise FormError("error.approval_unknown")
            if row.status != PENDING:
                raise FormError("error.approval_decided")
            status = (contract.ApprovalStatus.approved if decision == "approve"
                      else contract.ApprovalStatus.rejected).value
            # Conditional update: of two staff deciding at once, only the first counts.
            done = session.execute(
                update(Approval).where(Approval.id == row.id, Approval.status == PENDING)
                .values(status=status, decided_at=ctx.clock(), decided_by=staff.id,
                        decision_note=note))
            if done.rowcount != 1:
                raise FormError("error.approval_decided")
            audit(session, staff, ctx.clock(), f"approval_{status}", f"approval:{row.id}",
                  row.type)
            person_name = row.person.name
    except FormError as exc:
        return _page(request, staff, 400, exc)
    flash(request, f"notice.approval_{status}", name=person_name)
    return back_to("/console/approvals", back, FILTERS)
