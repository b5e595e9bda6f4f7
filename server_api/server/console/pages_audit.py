"""The audit log viewer (administrators only): filters, paging and CSV export.

The log is append-only: no route edits or deletes an entry, and database triggers
(revision 0007) refuse UPDATE and DELETE. Exporting the log is itself audited.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import Select, func, select

from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import admin_only, audit, language, render
from server_api.server.console.listing import csv_response
from server_api.server.i18n import translator
from server_api.server.models import AuditEntry, StaffUser
from server_api.server.validation import FormError, optional_text

router = APIRouter()
PAGE_SIZE = 50
MAX_EXPORT = 100_000
NO_STAFF = "none"  # the staff filter for entries without a signed-in staff member


@dataclass
class AuditFilter:
    """The filters of the page, as typed (strings) and as checked."""

    staff: str = ""
    action: str = ""
    target: str = ""
    date_from: str = ""
    date_to: str = ""

    def query(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def _local_day(value: str, zone: ZoneInfo, key: str) -> dt.datetime | None:
    """The UTC start of a local calendar day typed as YYYY-MM-DD, or None if empty."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise FormError(key) from None
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)


def _filtered(stmt: Select, f: AuditFilter, zone: ZoneInfo) -> Select:
    """Apply the filters; FormError for a filter that cannot be understood."""
    f.target = optional_text(f.target, 100)
    f.action = optional_text(f.action, 50)
    start = _local_day(f.date_from, zone, "error.audit_date")
    end = _local_day(f.date_to, zone, "error.audit_date")
    if start and end and end < start:
        raise FormError("error.audit_date_order")
    if f.staff == NO_STAFF:
        stmt = stmt.where(AuditEntry.staff_id.is_(None))
    elif f.staff:
        if not f.staff.isdigit() or not 0 < int(f.staff) <= 2**31 - 1:
            raise FormError("error.audit_staff")
        stmt = stmt.where(AuditEntry.staff_id == int(f.staff))
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.target:
        stmt = stmt.where(AuditEntry.target.icontains(f.target, autoescape=True))
    if start:
        stmt = stmt.where(AuditEntry.at >= start)
    if end:
        stmt = stmt.where(AuditEntry.at < end + dt.timedelta(days=1))
    return stmt


def _entries() -> Select:
    return (select(AuditEntry, StaffUser.username)
            .outerjoin(StaffUser, StaffUser.id == AuditEntry.staff_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def _filter_of(request: Request) -> AuditFilter:
    q = request.query_params
    return AuditFilter(**{name: q.get(name, "").strip() for name in vars(AuditFilter())})


@router.get("/audit")
def audit_page(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    admin_only(staff)
    ctx = request.app.state.ctx
    f = _filter_of(request)
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
    zone = ZoneInfo(ctx.settings.display_timezone)
    error, rows, total = None, [], 0
    with ctx.db.session() as session:
        accounts = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
        actions = list(session.scalars(select(AuditEntry.action).distinct()
                                       .order_by(AuditEntry.action)))
        try:
            stmt = _filtered(_entries(), f, zone)
        except FormError as exc:
            error = exc
        else:
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(page, pages)
            rows = list(session.execute(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    pages = max(1, -(-total // PAGE_SIZE))
    t = translator(language(request))
    return render(request, "audit.html", staff, status=400 if error else 200, error=error,
                  action_label=lambda code: _action_label(t, code),
                  rows=rows, total=total, page=page, pages=pages, filters=f, query=f.query(),
                  accounts=accounts, actions=actions, no_staff=NO_STAFF)


def _action_label(t, code: str) -> str:
    """The catalogue name of an action, or its code when the catalogue has none."""
    key = f"audit_action.{code}"
    text = t(key)
    return code if text == key else text


@router.get("/audit.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The filtered log as CSV for Excel (UTF-8 with a byte-order mark); audited."""
    admin_only(staff)
    ctx = request.app.state.ctx
    f = _filter_of(request)
    t = translator(language(request))
    localtime = ctx.templates.env.filters["localtime"]
    with ctx.db.session() as session:
        try:
            stmt = _filtered(_entries(), f, ZoneInfo(ctx.settings.display_timezone))
        except FormError as exc:
            return render(request, "error.html", staff, status=400,
                          message_key=exc.key)
        rows = list(session.execute(stmt.limit(MAX_EXPORT)))
        cells = [[entry.id, localtime(entry.at, "%Y-%m-%d %H:%M:%S"),
                  username or t("audit.no_staff"), _action_label(t, entry.action),
                  entry.action, entry.target, entry.detail] for entry, username in rows]
        now = ctx.clock()
        audit(session, staff, now, "audit_export", "audit_log",
              " ".join(f"{k}={v}" for k, v in f.query().items()) + f" rows={len(rows)}")
    headers = [t(f"audit.{c}") for c in
               ("id", "time", "staff", "action", "action_code", "target", "detail")]
    return csv_response(headers, cells, "audit-log", localtime(now, "%Y%m%d-%H%M"))
