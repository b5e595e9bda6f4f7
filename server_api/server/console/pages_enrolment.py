"""Enrolment status (采集情况) of active persons: face templates, voice, last check-in.

"Not fully enrolled" means no face template or no voice template: such a person cannot
be identified at the terminal and needs an intake session with staff. Removed persons
are left out (their biometrics were erased on purpose).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from server_api.names import mask_id_number
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.biometrics import active_persons
from server_api.server.console.common import render, visible_centres
from server_api.server.console.listing import (
    CsvTable, Export, Filters, Pager, export_list, in_centre, parse_text, read_filters,
)
from server_api.server.console.pages_checkins import person_clause
from server_api.server.models import Checkin, FaceTemplate, Person, VoiceTemplate
from server_api.server.validation import FormError

router = APIRouter()
TICKED = ("1", "yes", "on", "true")


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    filters = read_filters(request, staff, ("person", "incomplete"))
    filters.values["incomplete"] = "1" if filters.values["incomplete"].lower() in TICKED else ""
    filters.parsed = {"person": parse_text(filters.values["person"]),
                      "incomplete": bool(filters.values["incomplete"])}
    return filters


def enrolment_rows(session, staff: StaffIdentity, filters: Filters) -> list[dict]:
    """Each active person of the scope with face count, voice and last check-in, by name."""
    faces = (select(func.count(FaceTemplate.id)).where(FaceTemplate.person_id == Person.id)
             .correlate(Person).scalar_subquery())
    voice = select(VoiceTemplate.id).where(VoiceTemplate.person_id == Person.id).exists()
    last = (select(func.max(Checkin.occurred_at)).where(Checkin.person_id == Person.id)
            .correlate(Person).scalar_subquery())
    stmt = (select(Person, faces.label("faces"), voice.label("voice"), last.label("last"))
            .options(selectinload(Person.centre)).where(active_persons())
            .order_by(Person.name, Person.id))
    if filters.parsed["person"]:
        stmt = stmt.where(person_clause(filters.parsed["person"]))
    if filters.parsed["incomplete"]:
        stmt = stmt.where(or_(faces == 0, ~voice))
    stmt = in_centre(stmt, Person.centre_id, staff, filters)
    return [{"person": p, "faces": n or 0, "voice": bool(v), "last": la}
            for p, n, v, la in session.execute(stmt)]


@router.get("/enrolment")
def enrolment_page(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    error, rows, filters = None, [], Filters({})
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
            rows = enrolment_rows(session, staff, filters)
        except FormError as exc:
            error = exc
        centres = visible_centres(session, staff)
    pager = Pager(filters.page, len(rows))
    return render(request, "enrolment.html", staff, status=400 if error else 200, error=error,
                  filters=filters, rows=pager.slice(rows), pager=pager, centres=centres)


@router.get("/enrolment.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The enrolment list as CSV; audited with its filter."""
    return export_list(request, staff, filters_of=_filters, page=enrolment_page,
                       table=_export_table, action="enrolment_export",
                       target="persons:enrolment", stem="enrolment")


def _export_table(session, export: Export) -> CsvTable:
    t, localtime = export.t, export.localtime
    rows = enrolment_rows(session, export.staff, export.filters)
    columns = ("persons.name", "persons.id_number", "persons.centre", "persons.faces",
               "persons.voice", "enrolment.last_checkin", "enrolment.status")
    cells = ([r["person"].name, mask_id_number(r["person"].id_number), r["person"].centre.name,
              r["faces"], t("persons.enrolled") if r["voice"] else t("persons.not_enrolled"),
              localtime(r["last"], "%Y-%m-%d %H:%M") if r["last"] else t("overdue.never"),
              t("enrolment.complete") if r["faces"] and r["voice"] else t("enrolment.incomplete")]
             for r in rows)
    return CsvTable(columns, cells, len(rows))
