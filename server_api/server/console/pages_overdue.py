"""Overdue lists (逾期未报到 / 逾期未销假) for staff to follow up; nothing more.

Reporting: active persons with no check-in for N days (a filter, default 7, not the
reporting plan of the law), counted from their last check-in or, for a person who never
checked in, from their registration. Returns: approved leaves whose end date plus the
days to report back (``TerminalConfig.leave_return_days`` of the person's centre, see
``server_api.leave_rules.return_due``) have passed without 销假. The
software never decides a sanction (Art 28): these are lists of facts.
"""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from server_api import contract
from server_api.names import mask_id_number
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.biometrics import active_persons
from server_api.server.console.common import render, visible_centres
from server_api.server.console.listing import (
    CsvTable, Export, Filters, Pager, export_list, in_centre, local_today, parse_int,
    read_filters,
)
from server_api.server.leave_policy import DEFAULT_RETURN_DAYS, return_days_overrides
from server_api.server.models import Checkin, Leave, Person
from server_api.server.validation import FormError

router = APIRouter()
LISTS = ("reporting", "returns")
DEFAULT_DAYS = 7
MAX_DAYS = 366


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    filters = read_filters(request, staff, ("list", "days"),
                           {"list": "reporting", "days": str(DEFAULT_DAYS)})
    if filters.values["list"] not in LISTS:
        filters.values["list"] = "reporting"
    days = parse_int(filters.values["days"], "error.filter_days", 1, MAX_DAYS)
    # The days filter belongs to the reporting list only (also in an export's audit).
    reporting = filters.values["list"] == "reporting"
    filters.values["days"] = str(days or DEFAULT_DAYS) if reporting else ""
    filters.parsed = {"days": days or DEFAULT_DAYS}
    return filters


def on_leave(session, person_ids: list[int], today: dt.date) -> set[int]:
    """Those of ``person_ids`` with an approved leave covering ``today`` (a fact for staff)."""
    if not person_ids:
        return set()
    return set(session.scalars(select(Leave.person_id).where(
        Leave.person_id.in_(person_ids), Leave.status == contract.LeaveStatus.approved.value,
        Leave.start_date <= today, Leave.end_date >= today)))


def overdue_reporting(session, staff: StaffIdentity, filters: Filters, now: dt.datetime,
                      today: dt.date) -> list[dict]:
    """Active persons without a check-in for ``days``, longest silence first, with whether
    they are away on an approved leave today."""
    last = (select(Checkin.person_id, func.max(Checkin.occurred_at).label("last"))
            .group_by(Checkin.person_id).subquery())
    cutoff = now - dt.timedelta(days=filters.parsed["days"])
    stmt = (select(Person, last.c.last).outerjoin(last, last.c.person_id == Person.id)
            .options(selectinload(Person.centre))
            .where(active_persons(),
                   or_(last.c.last < cutoff,
                       and_(last.c.last.is_(None), Person.created_at < cutoff))))
    rows = []
    for person, last_at in session.execute(in_centre(stmt, Person.centre_id, staff, filters)):
        since = last_at or person.created_at
        rows.append({"person": person, "last": last_at, "since": since,
                     "days": (now - since).days})
    rows.sort(key=lambda r: (r["since"], r["person"].id))
    away = on_leave(session, [r["person"].id for r in rows], today)
    for row in rows:
        row["on_leave"] = row["person"].id in away
    return rows


def return_overdue(today: dt.date, overrides: dict[int, int]):
    """The rule of an overdue return (also counted on the dashboard; the query joins
    Person): an approved leave, not reported back (a return closes it), whose end date
    plus the centre's ``leave_return_days`` passed (``overrides``: centres whose value is
    not the default, from ``leave_policy.return_days_overrides``)."""
    def late(days: int):
        return Leave.end_date < today - dt.timedelta(days=days)

    by_centre = [and_(Person.centre_id == cid, late(days)) for cid, days in overrides.items()]
    default = late(DEFAULT_RETURN_DAYS)
    if overrides:
        default = and_(Person.centre_id.not_in(list(overrides)), default)
    return and_(Leave.status == contract.LeaveStatus.approved.value, or_(default, *by_centre))


def grace_shown(staff: StaffIdentity, filters: Filters, overrides: dict[int, int]) -> int:
    """The days to report back of the centre the list shows (the default for all centres)."""
    centre = staff.centre_id if not staff.is_admin else filters.centre_id
    return overrides.get(centre, DEFAULT_RETURN_DAYS)


def overdue_returns(session, staff: StaffIdentity, filters: Filters, today: dt.date,
                    overrides: dict[int, int]) -> list[dict]:
    """Approved leaves not closed by end date + the centre's days, most overdue first."""
    stmt = (select(Leave).join(Person, Person.id == Leave.person_id)
            .options(selectinload(Leave.person).selectinload(Person.centre))
            .where(return_overdue(today, overrides))
            .order_by(Leave.end_date, Leave.id))
    rows = []
    for leave in session.scalars(in_centre(stmt, Person.centre_id, staff, filters)):
        grace = overrides.get(leave.person.centre_id, DEFAULT_RETURN_DAYS)
        rows.append({"leave": leave, "due": leave.end_date + dt.timedelta(days=grace),
                     "days": (today - leave.end_date).days - grace})
    return rows


def _collect(session, request: Request, staff: StaffIdentity, filters: Filters) -> list[dict]:
    ctx = request.app.state.ctx
    if filters.values["list"] == "returns":
        return overdue_returns(session, staff, filters, local_today(request),
                               return_days_overrides(session))
    return overdue_reporting(session, staff, filters, ctx.clock(), local_today(request))


@router.get("/overdue")
def overdue_page(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    error, rows, filters = None, [], Filters({"list": "reporting", "days": str(DEFAULT_DAYS)})
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
            rows = _collect(session, request, staff, filters)
        except FormError as exc:
            error = exc
        centres = visible_centres(session, staff)
        grace = grace_shown(staff, filters, return_days_overrides(session))
    pager = Pager(filters.page, len(rows))
    return render(request, "overdue.html", staff, status=400 if error else 200, error=error,
                  filters=filters, which=filters.values.get("list", "reporting"),
                  rows=pager.slice(rows), pager=pager, centres=centres,
                  grace=grace)


@router.get("/overdue.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The chosen overdue list as CSV; audited with its filter."""
    return export_list(request, staff, filters_of=_filters, page=overdue_page,
                       table=_export_table, action="overdue_export",
                       target="overdue:{list}", stem="overdue-{list}")


def _export_table(session, export: Export) -> CsvTable:
    t, localtime = export.t, export.localtime
    rows = _collect(session, export.request, export.staff, export.filters)
    if export.filters.values["list"] == "returns":
        columns = ("overdue.person", "persons.id_number", "persons.centre", "leaves.destination",
                   "overdue.leave_start", "overdue.leave_end", "overdue.return_due",
                   "overdue.days_late")
        cells = ([r["leave"].person.name, mask_id_number(r["leave"].person.id_number),
                  r["leave"].person.centre.name, r["leave"].destination,
                  r["leave"].start_date.isoformat(), r["leave"].end_date.isoformat(),
                  r["due"].isoformat(), r["days"]] for r in rows)
    else:
        columns = ("overdue.person", "persons.id_number", "persons.centre",
                   "overdue.last_checkin", "overdue.registered", "overdue.days",
                   "overdue.on_leave")
        cells = ([r["person"].name, mask_id_number(r["person"].id_number),
                  r["person"].centre.name,
                  localtime(r["last"], "%Y-%m-%d %H:%M") if r["last"] else t("overdue.never"),
                  localtime(r["person"].created_at, "%Y-%m-%d %H:%M"), r["days"],
                  t("common.yes") if r["on_leave"] else ""] for r in rows)
    return CsvTable(columns, cells, len(rows))
