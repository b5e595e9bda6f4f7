"""Reporting plans on the server: what the roster carries, who missed a window, Art 21.

The rules are ``server_api.reporting_plan`` (shared with the kiosk); this module only
reads the rows they need. Check-in days are the centre's local dates
(``CentralSettings.display_timezone``). Lists of facts for staff, never a sanction
(Art 28).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server_api import contract
from server_api.reporting_plan import MAX_WINDOW, RECENT, Window, first_report, missed, windows
from server_api.server.models import Checkin, Leave
from server_api.server.plan_models import PersonIntake, ReportingPlan


def plan_spec(row: ReportingPlan) -> contract.ReportingPlanSpec:
    plan = row.plan()
    return contract.ReportingPlanSpec(kind=plan.kind, start=plan.start,
                                      window_days=plan.window_days, due_day=plan.due_day,
                                      dates=list(plan.dates))


def roster_extras(session: Session, person_ids: list[int]) -> dict[int, dict]:
    """Per person of the roster: ``reporting_plan`` (spec or None) and ``last_checkin_at``."""
    if not person_ids:
        return {}
    plans = {r.person_id: plan_spec(r) for r in session.scalars(
        select(ReportingPlan).where(ReportingPlan.person_id.in_(person_ids)))}
    last = dict(session.execute(
        select(Checkin.person_id, func.max(Checkin.occurred_at))
        .where(Checkin.person_id.in_(person_ids)).group_by(Checkin.person_id)).all())
    return {pid: {"reporting_plan": plans.get(pid), "last_checkin_at": last.get(pid)}
            for pid in person_ids}


def checkin_days(session: Session, person_ids: Iterable[int], zone: ZoneInfo,
                 since: dt.datetime | None = None) -> dict[int, list[dt.date]]:
    """The local days each person checked in on (optionally from ``since`` on)."""
    ids = list(person_ids)
    out: dict[int, list[dt.date]] = {pid: [] for pid in ids}
    if not ids:
        return out
    stmt = select(Checkin.person_id, Checkin.occurred_at).where(Checkin.person_id.in_(ids))
    if since is not None:
        stmt = stmt.where(Checkin.occurred_at >= since)
    for pid, at in session.execute(stmt):
        out[pid].append(at.astimezone(zone).date())
    return out


@dataclass(frozen=True)
class MissedRow:
    """One missed window of one person, with the first check-in after it (if any)."""

    plan: ReportingPlan
    window: Window
    reported_after: dt.date | None
    on_leave: bool = False  # an approved leave covered a day of the window (for staff to weigh)

    @property
    def person(self):
        return self.plan.person

    def days_late(self, today: dt.date) -> int:
        end = self.reported_after or today
        return (end - self.window.due).days


def missed_windows(session: Session, plan_rows: list[ReportingPlan], zone: ZoneInfo,
                   today: dt.date, since: dt.date | None = None) -> list[MissedRow]:
    """Every missed window (due before ``today``, on or after ``since``) of these plans."""
    # A window reaches back at most MAX_WINDOW days before its due day.
    reach = None if since is None else dt.datetime.combine(
        since - dt.timedelta(days=max(MAX_WINDOW.values()) + 1), dt.time(), zone)
    days = checkin_days(session, [r.person_id for r in plan_rows], zone, reach)
    rows = []
    for row in plan_rows:
        person_days = sorted(days[row.person_id])
        for window in missed(row.plan(), person_days, today, since):
            after = next((d for d in person_days if d > window.due), None)
            rows.append(MissedRow(row, window, after))
    leaves = approved_leaves(session, {r.plan.person_id for r in rows})
    rows = [replace(r, on_leave=any(start <= r.window.due and end >= r.window.opens
                                    for start, end in leaves.get(r.plan.person_id, ())))
            for r in rows]
    rows.sort(key=lambda r: (r.window.due, r.plan.person_id))
    return rows


def approved_leaves(session: Session, person_ids: set[int]) -> dict[int, list[tuple]]:
    """(start, end) of each approved leave (reported back or not) of these persons."""
    out: dict[int, list[tuple]] = {}
    if not person_ids:
        return out
    statuses = (contract.LeaveStatus.approved.value, contract.LeaveStatus.closed.value)
    for pid, start, end in session.execute(
            select(Leave.person_id, Leave.start_date, Leave.end_date)
            .where(Leave.person_id.in_(person_ids), Leave.status.in_(statuses))):
        out.setdefault(pid, []).append((start, end))
    return out


def still_missing(session: Session, plan_rows: list[ReportingPlan], zone: ZoneInfo,
                  today: dt.date) -> list[MissedRow]:
    """Persons whose latest ended window passed with no check-in in it nor since (the
    dashboard's count: 逾期未报到). One grouped query: only the last check-in matters."""
    if not plan_rows:
        return []
    last = dict(session.execute(
        select(Checkin.person_id, func.max(Checkin.occurred_at))
        .where(Checkin.person_id.in_([r.person_id for r in plan_rows]))
        .group_by(Checkin.person_id)).all())
    out = []
    for row in plan_rows:
        ended = [w for w in windows(row.plan(), today, today - RECENT) if w.due < today]
        if not ended:
            continue
        at = last.get(row.person_id)
        if at is None or at.astimezone(zone).date() < ended[-1].opens:
            out.append(MissedRow(row, ended[-1], None))
    return sorted(out, key=lambda r: (r.window.due, r.plan.person_id))


@dataclass(frozen=True)
class FirstReportRow:
    intake: PersonIntake
    deadline: dt.date
    reported_on: dt.date | None
    days_late: int

    @property
    def person(self):
        return self.intake.person


def late_first_reports(session: Session, intakes: list[PersonIntake], zone: ZoneInfo,
                       today: dt.date) -> list[FirstReportRow]:
    """Art 21: persons whose first check-in came (or is still missing) more than 10 days
    after the judgment took effect; only check-ins on or after that date count."""
    rows = []
    days = checkin_days(session, [i.person_id for i in intakes], zone)
    for intake in intakes:
        first = min((d for d in days[intake.person_id] if d >= intake.effective_date),
                    default=None)
        result = first_report(intake.effective_date, first, today)
        if result.late:
            rows.append(FirstReportRow(intake, result.deadline, result.reported_on,
                                       result.days_late))
    rows.sort(key=lambda r: (r.deadline, r.intake.person_id))
    return rows
