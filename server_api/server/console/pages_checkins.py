"""Check-ins (报到记录) for staff: filtered list, counts per day and per person, CSV export.

Filters: local date range, person (name, or the last digits of the ID number), terminal,
and for admins a centre. The photo of a check-in stays behind its own audited route
(``pages_home.snapshot``); the export is audited with its filter.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server_api.names import mask_id_number
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import render, scoped, visible_centres
from server_api.server.console.listing import (
    CsvTable, Export, Filters, Pager, export_list, in_centre, parse_date, parse_int, parse_text,
    read_filters, utc_range, zone_of,
)
from server_api.server.models import Centre, Checkin, Person, Terminal
from server_api.server.validation import FormError

router = APIRouter()
VIEWS = ("list", "day", "person")
ID_TAIL = re.compile(r"[0-9]{1,17}[0-9Xx]?|[Xx]")


def person_clause(text: str):
    """Persons whose name contains ``text``, or whose ID number ends with it (digits)."""
    if ID_TAIL.fullmatch(text):
        return Person.id_number.endswith(text.upper(), autoescape=True)
    return Person.name.contains(text, autoescape=True)


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    filters = read_filters(request, staff, ("from", "to", "person", "terminal", "view"),
                           {"view": "list"})
    values = filters.values
    if values["view"] not in VIEWS:
        values["view"] = "list"
    start, end = utc_range(parse_date(values["from"]), parse_date(values["to"]),
                           zone_of(request))
    filters.parsed = {"start": start, "end": end, "person": parse_text(values["person"]),
                      "terminal": parse_int(values["terminal"], "error.filter_terminal",
                                            1, 2**31 - 1)}
    return filters


def _where(stmt, staff: StaffIdentity, filters: Filters):
    p = filters.parsed
    stmt = in_centre(stmt, Person.centre_id, staff, filters)
    if p["start"] is not None:
        stmt = stmt.where(Checkin.occurred_at >= p["start"])
    if p["end"] is not None:
        stmt = stmt.where(Checkin.occurred_at < p["end"])
    if p["person"]:
        stmt = stmt.where(person_clause(p["person"]))
    if p["terminal"] is not None:
        stmt = stmt.where(Checkin.terminal_id == p["terminal"])
    return stmt


def _base(columns=None):
    return (select(*(columns or (Checkin,))).select_from(Checkin)
            .join(Person, Person.id == Checkin.person_id))


def checkin_page(session, staff: StaffIdentity, filters: Filters) -> tuple[list, Pager]:
    """One page of check-ins, newest first, counted and cut by the database."""
    total = session.scalar(_where(_base((func.count(Checkin.id),)), staff, filters)) or 0
    pager = Pager(filters.page, total)
    stmt = (_base().options(selectinload(Checkin.person), selectinload(Checkin.terminal))
            .order_by(Checkin.occurred_at.desc(), Checkin.id.desc())
            .offset(pager.offset).limit(pager.per_page))
    return list(session.scalars(_where(stmt, staff, filters))), pager


def export_rows(session, staff: StaffIdentity, filters: Filters) -> list:
    """The plain columns of every check-in of the filter, newest first (no ORM objects: an
    export of a busy centre's year stays a matter of seconds)."""
    stmt = (_base((Checkin.occurred_at, Person.name, Person.id_number, Centre.name,
                   Terminal.name, Terminal.public_id, Checkin.match_score,
                   Checkin.snapshot_path))
            .join(Centre, Centre.id == Person.centre_id)
            .join(Terminal, Terminal.id == Checkin.terminal_id)
            .order_by(Checkin.occurred_at.desc(), Checkin.id.desc()))
    return list(session.execute(_where(stmt, staff, filters)))


def per_day(session, staff: StaffIdentity, filters: Filters, zone) -> list[dict]:
    """Check-ins and distinct persons per local day, newest day first."""
    stmt = _where(_base((Checkin.occurred_at, Checkin.person_id)), staff, filters)
    days: dict[dt.date, list] = defaultdict(list)
    for at, person_id in session.execute(stmt):
        days[at.astimezone(zone).date()].append(person_id)
    return [{"day": day, "checkins": len(ids), "persons": len(set(ids))}
            for day, ids in sorted(days.items(), reverse=True)]


def per_person(session, staff: StaffIdentity, filters: Filters) -> list[dict]:
    """Check-ins per person within the filter, with their first and last, by name."""
    count, first, last = (func.count(Checkin.id).label("n"),
                          func.min(Checkin.occurred_at).label("first"),
                          func.max(Checkin.occurred_at).label("last"))
    stmt = (_base((Person.id, Person.name, Person.id_number, Centre.name, count, first, last))
            .join(Centre, Centre.id == Person.centre_id)
            .group_by(Person.id, Person.name, Person.id_number, Centre.name)
            .order_by(Person.name, Person.id))
    found = session.execute(_where(stmt, staff, filters))
    return [{"person_id": pid, "name": name, "id_number": number, "centre": centre,
             "checkins": n, "first": f, "last": la}
            for pid, name, number, centre, n, f, la in found]


def _collect(session, request: Request, staff: StaffIdentity, filters: Filters) -> list:
    """The rows of the per-day or per-person view."""
    if filters.values["view"] == "day":
        return per_day(session, staff, filters, zone_of(request))
    return per_person(session, staff, filters)


@router.get("/checkins")
def checkins_page(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    ctx = request.app.state.ctx
    error, rows, filters, pager = None, [], Filters({"view": "list"}), Pager(1, 0)
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
            if filters.values["view"] == "list":
                rows, pager = checkin_page(session, staff, filters)
            else:
                rows = _collect(session, request, staff, filters)
                pager = Pager(filters.page, len(rows))
                rows = pager.slice(rows)
        except FormError as exc:
            error = exc
        terminals = list(session.scalars(scoped(
            select(Terminal).order_by(Terminal.name, Terminal.id), Terminal.centre_id, staff)))
        centres = visible_centres(session, staff)
    return render(request, "checkins.html", staff, status=400 if error else 200, error=error,
                  filters=filters, view=filters.values.get("view", "list"),
                  rows=rows, pager=pager, terminals=terminals, centres=centres)


@router.get("/checkins.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The filtered check-ins (or their counts per day or person) as CSV; audited."""
    return export_list(request, staff, filters_of=_filters, page=checkins_page,
                       table=_export_table, action="checkin_export",
                       target="checkins:{view}", stem="checkins-{view}")


def _export_table(session, export: Export) -> CsvTable:
    t, localtime, filters = export.t, export.localtime, export.filters
    view = filters.values["view"]
    rows = (export_rows(session, export.staff, filters) if view == "list"
            else _collect(session, export.request, export.staff, filters))
    if view == "day":
        columns = ("checkins.day", "checkins.count", "checkins.persons_count")
        cells = ([r["day"].isoformat(), r["checkins"], r["persons"]] for r in rows)
    elif view == "person":
        columns = ("checkins.person", "persons.id_number", "persons.centre", "checkins.count",
                   "checkins.first", "checkins.last")
        cells = ([r["name"], mask_id_number(r["id_number"]), r["centre"], r["checkins"],
                  localtime(r["first"], "%Y-%m-%d %H:%M:%S"),
                  localtime(r["last"], "%Y-%m-%d %H:%M:%S")] for r in rows)
    else:
        columns = ("checkins.time", "checkins.person", "persons.id_number", "persons.centre",
                   "checkins.terminal", "checkins.terminal_id", "checkins.score",
                   "checkins.photo")
        cells = ([localtime(at, "%Y-%m-%d %H:%M:%S"), name, mask_id_number(number), centre,
                  terminal, terminal_id, f"{score:.2f}",
                  t("common.yes") if photo else t("common.no")]
                 for at, name, number, centre, terminal, terminal_id, score, photo in rows)
    return CsvTable(columns, cells, len(rows))
