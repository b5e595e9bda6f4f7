"""Leave requests (请假): filtered by status (default: pending, to decide) and dates.

Who decides (docs/LEAVE_RULES.md): a leave's ``approval_level`` is fixed when it arrives
(``leave_centre_max_days``). A "centre" leave is decided by the centre's staff or an
administrator; a "county" leave only by an administrator (the county-level institution's
account, which sees every centre); centre staff see it marked 需县级审批.

The date range keeps the leaves whose period (start to end date) overlaps it. Pending
rows carry the approve/reject form; the CSV export is audited with its filter.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from server_api import contract, leave_rules
from server_api.names import mask_id_number
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    audit, checked_staff, flash, person_in_scope, render, visible_centres,
)
from server_api.server.console.listing import (
    CsvTable, Export, Filters, Pager, back_to, export_list, in_centre, parse_date, read_filters,
)
from server_api.server.models import Leave, Person
from server_api.server.validation import FormError, optional_text

router = APIRouter()
MAX_NOTE = 1000
STATUSES = tuple(s.value for s in contract.LeaveStatus)
PENDING = contract.LeaveStatus.pending.value
FILTERS = ("status", "from", "to")


def may_decide(staff: StaffIdentity, leave: Leave) -> bool:
    """The staff member's role may decide this leave (its approval level)."""
    return staff.is_admin or leave.approval_level == leave_rules.CENTRE


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    filters = read_filters(request, staff, FILTERS, {"status": PENDING})
    if filters.values["status"] not in STATUSES:
        filters.values["status"] = ""  # all
    date_from, date_to = parse_date(filters.values["from"]), parse_date(filters.values["to"])
    if date_from and date_to and date_to < date_from:
        raise FormError("error.filter_date_order")
    filters.parsed = {"from": date_from, "to": date_to}
    return filters


def _query(staff: StaffIdentity, filters: Filters, columns=None):
    stmt = (select(*(columns or (Leave,))).select_from(Leave)
            .join(Person, Person.id == Leave.person_id))
    status = filters.values["status"]
    if status:
        stmt = stmt.where(Leave.status == status)
    if filters.parsed["from"]:
        stmt = stmt.where(Leave.end_date >= filters.parsed["from"])
    if filters.parsed["to"]:
        stmt = stmt.where(Leave.start_date <= filters.parsed["to"])
    return in_centre(stmt, Person.centre_id, staff, filters)


def leave_rows(session, staff: StaffIdentity, filters: Filters,
               pager: Pager | None = None) -> list[Leave]:
    """Pending ones by start date (the soonest to decide first), others newest first; one
    page of them, or all (for an export)."""
    stmt = (_query(staff, filters)
            .options(selectinload(Leave.person).selectinload(Person.centre))
            .order_by(*((Leave.start_date, Leave.id) if filters.values["status"] == PENDING
                        else (Leave.requested_at.desc(), Leave.id.desc()))))
    if pager is not None:
        stmt = stmt.offset(pager.offset).limit(pager.per_page)
    return list(session.scalars(stmt))


def _leaves_page(request: Request, staff: StaffIdentity, status: int = 200,
                 error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    rows, filters, pager = [], Filters({"status": PENDING}), Pager(1, 0)
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
            total = session.scalar(_query(staff, filters, (func.count(Leave.id),))) or 0
            pager = Pager(filters.page, total)
            rows = leave_rows(session, staff, filters, pager)
        except FormError as exc:
            status, error = 400, error or exc
        centres = visible_centres(session, staff)
    return render(request, "leaves.html", staff, status=status, error=error, filters=filters,
                  rows=rows, pager=pager, centres=centres, statuses=STATUSES,
                  max_note=MAX_NOTE, may_decide=may_decide)


@router.get("/leaves")
def leaves(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _leaves_page(request, staff)


@router.get("/leaves.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The filtered leave requests as CSV; audited with the filter."""
    return export_list(request, staff, filters_of=_filters, page=_leaves_page,
                       table=_export_table, action="leave_export", target="leaves",
                       stem="leaves")


def _export_table(session, export: Export) -> CsvTable:
    t, localtime = export.t, export.localtime
    rows = leave_rows(session, export.staff, export.filters)
    columns = ("leaves.person", "persons.id_number", "persons.centre", "leaves.destination",
               "overdue.leave_start", "overdue.leave_end", "leaves.days", "leaves.reason",
               "leaves.status", "leaves.requested_at", "leaves.decided_at", "leaves.note",
               "leaves.returned_at")
    cells = ([lv.person.name, mask_id_number(lv.person.id_number), lv.person.centre.name,
              lv.destination, lv.start_date.isoformat(), lv.end_date.isoformat(),
              (lv.end_date - lv.start_date).days + 1, lv.reason, t(f"leave_status.{lv.status}"),
              localtime(lv.requested_at), localtime(lv.decided_at), lv.decision_note,
              localtime(lv.returned_at)] for lv in rows)
    return CsvTable(columns, cells, len(rows))


@router.post("/leaves/decide")
def decide(request: Request, leave_key: str = Form(""), decision: str = Form(""),
           note: str = Form(""), back: str = Form(""),
           staff: StaffIdentity = Depends(checked_staff)) -> Response:
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
            if not may_decide(staff, leave):
                raise FormError("leave_rules.error.needs_county")
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
    return back_to("/console/leaves", back, FILTERS)
