"""A person's reporting plan (报到计划) and judgment-effective date (Art 21), set by staff.

The page shows the plan, its next windows and the first-report check; the form replaces
the plan (or removes it) and the date. Every read and change is audited (Art 61) and
centre-scoped (another centre's person is 404). The terminals get the plan with the
roster at their next sync. The lists of missed windows are ``pages_reporting``.
"""
from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from server_api.reporting_plan import (
    DATES, KINDS, MAX_DATES, MAX_WINDOW, MONTHLY, WEEKLY, Plan, PlanError, first_report,
    windows,
)
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    RowId, audit, checked_staff, flash, form_transaction, person_in_scope, redirect, render,
)
from server_api.server.console.listing import local_today, zone_of
from server_api.server.models import Person
from server_api.server.plan_models import PersonIntake, ReportingPlan
from server_api.server.plans import checkin_days
from server_api.server.validation import FormError

router = APIRouter()
NO_PLAN = "none"
PREVIEW_WINDOWS = 4
MAX_DATES_TEXT = 2000
EARLIEST = dt.date(2000, 1, 1)


def _date(value: str, key: str, required: bool = True) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise FormError(key)
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise FormError("plans.error.date", value=text[:20]) from None
    if not EARLIEST <= day <= dt.date(2100, 12, 31):
        raise FormError("plans.error.date", value=text[:20])
    return day


def _number(value: str, key: str, low: int, high: int) -> int:
    text = (value or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise FormError(key, min=low, max=high)
    return int(text)


def parse_plan(kind: str, start: str, window_days: str, weekday: str, month_day: str,
               dates: str) -> Plan | None:
    """The plan a form asked for (None: no plan), or FormError in the staff's language."""
    kind = (kind or "").strip()
    if kind == NO_PLAN:
        return None
    if kind not in KINDS:
        raise FormError("plans.error.kind")
    start_day = _date(start, "plans.error.start_required")
    window = _number(window_days, "plans.error.window", 1, MAX_WINDOW[kind])
    due_day, due_dates = 0, ()
    if kind == WEEKLY:
        due_day = _number(weekday, "plans.error.weekday", 0, 6)
    elif kind == MONTHLY:
        due_day = _number(month_day, "plans.error.month_day", 1, 31)
    else:
        if len(dates or "") > MAX_DATES_TEXT:
            raise FormError("plans.error.too_many_dates", max=MAX_DATES)
        parts = [p for p in (dates or "").replace(",", " ").replace("，", " ").split() if p]
        due_dates = tuple(sorted({_date(p, "plans.error.no_dates") for p in parts}))
    try:
        return Plan(kind, start_day, window, due_day, due_dates).validated()
    except PlanError as exc:
        raise FormError(exc.key, **exc.params) from None


def _person(session, staff: StaffIdentity, person_id: int) -> Person:
    person = person_in_scope(session, staff, person_id)
    if person is None:
        raise HTTPException(404)
    return person


def _page(request: Request, staff: StaffIdentity, person_id: int, status: int = 200,
          error: FormError | None = None, values: dict | None = None) -> Response:
    ctx = request.app.state.ctx
    today = local_today(request)
    with ctx.db.session() as session:
        person = _person(session, staff, person_id)
        row = session.get(ReportingPlan, person.id)
        intake = session.get(PersonIntake, person.id)
        plan = row.plan() if row else None
        days = sorted(checkin_days(session, [person.id], zone_of(request))[person.id])
        upcoming = [w for w in windows(plan, today + dt.timedelta(days=400)) if w.due >= today][
            :PREVIEW_WINDOWS] if plan else []
        first = None
        if intake is not None:
            first = first_report(intake.effective_date,
                                 min((d for d in days if d >= intake.effective_date), default=None),
                                 today)
        # Reading a person's plan is a read of their data (Art 61): audited.
        audit(session, staff, ctx.clock(), "plan_view", f"person:{person.id}")
        name, number, removed = person.name, person.id_number, person.removed
    if values is None:
        values = {"kind": plan.kind if plan else NO_PLAN,
                  "start": (plan.start if plan else today).isoformat(),
                  "window_days": str(plan.window_days if plan else 7),
                  "weekday": str(plan.due_day if plan and plan.kind == WEEKLY else 0),
                  "month_day": str(plan.due_day if plan and plan.kind == MONTHLY else 1),
                  "dates": " ".join(d.isoformat() for d in plan.dates) if plan else "",
                  "effective": intake.effective_date.isoformat() if intake else ""}
    return render(request, "plan.html", staff, status=status, error=error, person_id=person_id,
                  name=name, id_number=number, removed=removed, plan=plan, upcoming=upcoming,
                  first=first, values=values, kinds=(NO_PLAN, *KINDS), max_window=MAX_WINDOW,
                  today=today)


@router.get("/persons/{person_id}/plan")
def plan_page(request: Request, person_id: RowId,
              staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _page(request, staff, person_id)


@router.post("/persons/{person_id}/plan")
def set_plan(request: Request, person_id: RowId, kind: str = Form(""), start: str = Form(""),
             window_days: str = Form(""), weekday: str = Form(""), month_day: str = Form(""),
             dates: str = Form(""), effective: str = Form(""),
             staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Replace the person's plan and judgment-effective date (both audited, one transaction)."""
    ctx = request.app.state.ctx
    values = {"kind": kind, "start": start, "window_days": window_days, "weekday": weekday,
              "month_day": month_day, "dates": dates[:MAX_DATES_TEXT], "effective": effective}
    with ctx.db.session() as session:  # scope first: another centre's person is 404
        _person(session, staff, person_id)
    try:
        plan = parse_plan(kind, start, window_days, weekday, month_day, dates)
        effective_day = _date(effective, "", required=False)
        now = ctx.clock()
        with form_transaction(ctx.db) as session:
            person = _person(session, staff, person_id)
            if person.removed:
                raise FormError("plans.error.removed")
            _store_plan(session, person.id, plan, now, staff.id)
            _store_intake(session, person.id, effective_day, now, staff.id)
            detail = plan.to_json() if plan else NO_PLAN
            audit(session, staff, now, "plan_set", f"person:{person.id}",
                  f"plan={detail} effective={effective_day.isoformat() if effective_day else ''}")
    except FormError as exc:
        return _page(request, staff, person_id, 400, exc, values)
    flash(request, "plans.notice.saved")
    return redirect(f"/console/persons/{person_id}/plan")


def _store_plan(session, person_id: int, plan: Plan | None, now: dt.datetime,
                staff_id: int) -> None:
    row = session.get(ReportingPlan, person_id)
    if plan is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = ReportingPlan(person_id=person_id)
        session.add(row)
    row.kind, row.start_date, row.window_days = plan.kind, plan.start, plan.window_days
    row.due_day = plan.due_day
    row.dates_json = json.dumps([d.isoformat() for d in plan.dates]) if plan.kind == DATES else "[]"
    row.updated_at, row.updated_by = now, staff_id


def _store_intake(session, person_id: int, day: dt.date | None, now: dt.datetime,
                  staff_id: int) -> None:
    row = session.get(PersonIntake, person_id)
    if day is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = PersonIntake(person_id=person_id)
        session.add(row)
    row.effective_date, row.updated_at, row.updated_by = day, now, staff_id
