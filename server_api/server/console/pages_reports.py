"""Written reports (思想汇报) for staff: the list, one report, its pages or recording.

Scoped like every page (staff see their centre's persons only; another centre's report
answers 404). Opening a report and reading each of its files is a read of personal data
(Art. 61): each is written to the audit log, and the first opening is noted on the row
(the list shows unread reports). Files are decrypted only to answer the request.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException

from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    SECURITY_HEADERS, RowId, audit, person_in_scope, render, visible_centres,
)
from server_api.server.console.listing import Filters, Pager, in_centre, read_filters
from server_api.server.models import Person
from server_api.server.report_models import FORM_PAGES, WrittenReport
from server_api.server.report_vault import ReportVault, VaultError
from server_api.server.storage import StorageError

router = APIRouter()
MEDIA_TYPES = {FORM_PAGES: "image/jpeg", "audio": "audio/wav"}


def report_page(session: Session, staff: StaffIdentity, filters: Filters) -> tuple[list, Pager]:
    """One page of reports of the staff member's scope, newest first."""
    base = select(WrittenReport).join(Person, Person.id == WrittenReport.person_id)
    if filters.values.get("unread") == "1":
        base = base.where(WrittenReport.first_read_at.is_(None))
    base = in_centre(base, Person.centre_id, staff, filters)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pager = Pager(filters.page, total)
    rows = session.scalars(base.options(selectinload(WrittenReport.person),
                                        selectinload(WrittenReport.terminal))
                           .order_by(WrittenReport.occurred_at.desc(), WrittenReport.id.desc())
                           .offset(pager.offset).limit(pager.per_page))
    return list(rows), pager


def report_in_scope(session: Session, staff: StaffIdentity, report_id: int) -> WrittenReport:
    """The report if its person is in the staff member's scope; else 404."""
    report = session.get(WrittenReport, report_id)
    if report is None or person_in_scope(session, staff, report.person_id) is None:
        raise HTTPException(404)
    return report


@router.get("/reports")
def reports(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    filters = read_filters(request, staff, ("unread",))
    with ctx.db.session() as session:
        rows, pager = report_page(session, staff, filters)
        centres = visible_centres(session, staff)
        return render(request, "written_reports.html", staff, rows=rows, pager=pager,
                      filters=filters, centres=centres)


@router.get("/reports/{report_id}")
def report(request: Request, report_id: RowId,
           staff: StaffIdentity = Depends(current_staff)) -> Response:
    """One report: its person, time, and its pages or its recording (audited)."""
    ctx = request.app.state.ctx
    with ctx.db.session(write=True) as session:
        row = report_in_scope(session, staff, report_id)
        now = ctx.clock()
        if row.first_read_at is None:
            row.first_read_at, row.first_read_by = now, staff.id
        audit(session, staff, now, "written_report_view", f"written_report:{row.id}",
              f"person:{row.person_id}")
        session.flush()
        return render(request, "written_report.html", staff, report=row,
                      person=row.person, files=range(len(row.files)))


@router.get("/reports/{report_id}/files/{index}")
def report_file(request: Request, report_id: RowId, index: int,
                staff: StaffIdentity = Depends(current_staff)) -> Response:
    """One page (JPEG) or the recording (WAV), decrypted for this answer only (audited)."""
    ctx = request.app.state.ctx
    with ctx.db.session(write=True) as session:
        row = report_in_scope(session, staff, report_id)
        files = row.files
        if not 0 <= index < len(files):
            raise HTTPException(404)
        audit(session, staff, ctx.clock(), "written_report_file_view",
              f"written_report:{row.id}", f"person:{row.person_id} file:{index}")
        event_id, form, relative = row.event_id, row.form, files[index]
    try:
        sealed = ctx.storage.resolve(relative).read_bytes()
        data = ReportVault.from_settings(ctx.settings).open(sealed, event_id, index)
    except (OSError, StorageError, VaultError):
        raise HTTPException(404) from None
    return Response(data, media_type=MEDIA_TYPES[form], headers=SECURITY_HEADERS)
