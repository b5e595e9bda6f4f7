"""Reporting by plan (逾期未报到) and late first reports (Art 21), for staff to follow up.

Two lists, filtered and exported like the other work lists (``listing``):

- ``missed``: each window of a person's reporting plan whose due day passed without a
  check-in, with the first check-in after it (if any); due days from ``from`` to ``to``
  (default: the last 30 days); ``status=open`` keeps only persons who have not checked
  in since (the dashboard's count);
- ``first``: persons whose first check-in came, or is still missing, more than 10 days
  after the judgment took effect (Art 21).

Facts for staff only: the software never decides a sanction (Art 28).
"""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server_api.names import mask_id_number
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.biometrics import active_persons
from server_api.server.console.common import render, scoped, visible_centres
from server_api.server.console.listing import (
    CsvTable, Export, Filters, Pager, export_list, in_centre, local_today, parse_date,
    read_filters, zone_of,
)
from server_api.server.models import Person
from server_api.server.plan_models import PersonIntake, ReportingPlan
from server_api.server.plans import late_first_reports, missed_windows, still_missing
from server_api.server.validation import FormError

router = APIRouter()
LISTS = ("missed", "first")
STATUSES = ("open", "all")
DEFAULT_SPAN_DAYS = 30


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    today = local_today(request)
    filters = read_filters(request, staff, ("list", "status", "from", "to"), {
        "list": "missed", "status": "all",
        "from": (today - dt.timedelta(days=DEFAULT_SPAN_DAYS)).isoformat(), "to": ""})
    if filters.values["list"] not in LISTS:
        filters.values["list"] = "missed"
    if filters.values["status"] not in STATUSES:
        filters.values["status"] = "all"
    date_from, date_to = parse_date(filters.values["from"]), parse_date(filters.values["to"])
    if date_from and date_to and date_to < date_from:
        raise FormError("error.filter_date_order")
    if filters.values["list"] == "first":  # the dates and status belong to the missed list
        filters.values.update({"status": "", "from": "", "to": ""})
    filters.parsed = {"from": date_from, "to": date_to}
    return filters


def plans_in_scope(session, staff: StaffIdentity,
                   filters: Filters | None = None) -> list[ReportingPlan]:
    """The plans of active persons in the staff member's scope (and chosen centre)."""
    stmt = (select(ReportingPlan).join(Person, Person.id == ReportingPlan.person_id)
            .where(active_persons())
            .options(selectinload(ReportingPlan.person).selectinload(Person.centre)))
    stmt = in_centre(stmt, Person.centre_id, staff, filters) if filters else \
        scoped(stmt, Person.centre_id, staff)
    return list(session.scalars(stmt))


def still_missing_count(session, staff: StaffIdentity, request: Request) -> int:
    """The dashboard's figure: persons whose latest window passed without a check-in."""
    return len(still_missing(session, plans_in_scope(session, staff), zone_of(request),
                             local_today(request)))


def _collect(session, request: Request, staff: StaffIdentity, filters: Filters) -> list:
    today, zone = local_today(request), zone_of(request)
    if filters.values["list"] == "first":
        stmt = (select(PersonIntake).join(Person, Person.id == PersonIntake.person_id)
                .where(active_persons())
                .options(selectinload(PersonIntake.person).selectinload(Person.centre)))
        intakes = list(session.scalars(in_centre(stmt, Person.centre_id, staff, filters)))
        return late_first_reports(session, intakes, zone, today)
    plans = plans_in_scope(session, staff, filters)
    if filters.values["status"] == "open":
        rows = still_missing(session, plans, zone, today)
        since = filters.parsed["from"]
        rows = [r for r in rows if since is None or r.window.due >= since]
    else:
        rows = missed_windows(session, plans, zone, today, filters.parsed["from"])
    until = filters.parsed["to"]
    return [r for r in rows if until is None or r.window.due <= until]


@router.get("/reporting")
def reporting_page(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    error, rows = None, []
    filters = Filters({"list": "missed", "status": "all", "from": "", "to": ""})
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
            rows = _collect(session, request, staff, filters)
        except FormError as exc:
            error = exc
        centres = visible_centres(session, staff)
    pager = Pager(filters.page, len(rows))
    return render(request, "reporting.html", staff, status=400 if error else 200, error=error,
                  filters=filters, which=filters.values.get("list", "missed"),
                  rows=pager.slice(rows), pager=pager, centres=centres,
                  today=local_today(request))


@router.get("/reporting.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The chosen list as CSV; audited with its filter (Art 61)."""
    return export_list(request, staff, filters_of=_filters, page=reporting_page,
                       table=_export_table, action="reporting_export",
                       target="reporting:{list}", stem="reporting-{list}")


def _export_table(session, export: Export) -> CsvTable:
    t, today = export.t, local_today(export.request)
    rows = _collect(session, export.request, export.staff, export.filters)
    if export.filters.values["list"] == "first":
        columns = ("overdue.person", "persons.id_number", "persons.centre", "plans.effective",
                   "plans.first_deadline", "plans.first_reported", "overdue.days_late")
        cells = [[r.person.name, mask_id_number(r.person.id_number), r.person.centre.name,
                  r.intake.effective_date.isoformat(), r.deadline.isoformat(),
                  r.reported_on.isoformat() if r.reported_on else t("overdue.never"),
                  r.days_late] for r in rows]
    else:
        columns = ("overdue.person", "persons.id_number", "persons.centre", "plans.kind",
                   "plans.window_opens", "plans.window_due", "plans.reported_after",
                   "overdue.days_late", "reporting.on_leave")
        cells = [[r.person.name, mask_id_number(r.person.id_number), r.person.centre.name,
                  t("plans.kind." + r.plan.kind), r.window.opens.isoformat(),
                  r.window.due.isoformat(),
                  r.reported_after.isoformat() if r.reported_after else t("plans.not_since"),
                  r.days_late(today), t("common.yes") if r.on_leave else ""]
                 for r in rows]
    return CsvTable(columns, cells, len(rows))
