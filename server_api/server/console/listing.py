"""What the staff work lists share: filters from the query string, pages, CSV exports.

Filters arrive as plain query parameters so a list can be bookmarked and its export link
carries the same filter. Dates are the centre's local dates (``display_timezone``); a
bad value becomes a ``FormError`` shown in the staff member's language. Non-admin staff
always get their own centre, whatever ``centre`` says.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from server_api.server.auth import StaffIdentity
from server_api.server.console.common import (
    SECURITY_HEADERS, audit, language, not_minor, person_visible,
)
from server_api.server.i18n import translator
from server_api.server.models import Person
from server_api.server.validation import FormError, has_control_characters

PER_PAGE = 50
MAX_QUERY_TEXT = 50
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def zone_of(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.ctx.settings.display_timezone)


def local_today(request: Request) -> dt.date:
    """Today's date in the centre's display zone, by the server's clock."""
    return request.app.state.ctx.clock().astimezone(zone_of(request)).date()


def parse_date(value: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` (what a date input sends), empty for none, else FormError."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormError("error.filter_date", value=text[:20]) from None


def parse_int(value: str | None, key: str, low: int, high: int) -> int | None:
    """A whole number within [low, high], empty for none, else FormError(key)."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise FormError(key, min=low, max=high)
    return int(text)


def parse_text(value: str | None) -> str:
    """A short search text (a name or the last digits of an ID number)."""
    text = (value or "").strip()
    if len(text) > MAX_QUERY_TEXT:
        raise FormError("error.too_long", max=MAX_QUERY_TEXT)
    if has_control_characters(text):
        raise FormError("error.invalid_characters")
    return text


def utc_range(date_from: dt.date | None, date_to: dt.date | None,
              zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) in UTC covering the local dates ``date_from``..``date_to`` inclusive."""
    if date_from and date_to and date_to < date_from:
        raise FormError("error.filter_date_order")

    def midnight(day: dt.date | None) -> dt.datetime | None:
        """Local midnight in UTC; None past the calendar's ends (no bound needed there)."""
        try:
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)
        except (OverflowError, TypeError):
            return None

    end = date_to + dt.timedelta(days=1) if date_to and date_to < dt.date.max else None
    return midnight(date_from), midnight(end)


@dataclass
class Filters:
    """The filters a list page was asked for, as typed (``values``) and parsed."""

    values: dict[str, str]
    centre_id: int | None = None
    page: int = 1
    parsed: dict[str, object] = field(default_factory=dict)
    # A CSV export: minors are left out unless ``minors=include`` (Arts 52, 54).
    export: bool = False

    @property
    def excludes_minors(self) -> bool:
        return self.export and self.values.get("minors") != "include"

    def query(self, **changes: object) -> str:
        """The query string of this list with some parameters changed (e.g. page)."""
        merged = {**self.values, **{k: str(v) for k, v in changes.items()}}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    def audit_text(self) -> str:
        """The filter, for the audit detail of an export (page numbers left out)."""
        return urlencode({k: v for k, v in self.values.items() if v and not k.endswith("page")})


def read_filters(request: Request, staff: StaffIdentity, names: Iterable[str],
                 defaults: Mapping[str, str] | None = None) -> Filters:
    """The raw query values of ``names`` plus ``centre`` and ``page``; centre and page parsed.

    An absent parameter takes its default; a present but empty one stays empty (e.g.
    "all statuses").
    """
    params = request.query_params
    defaults = defaults or {}
    export = request.url.path.endswith(".csv")
    extra = ("centre", "page", "minors") if export else ("centre", "page")
    values = {name: params.get(name, defaults.get(name, "")).strip()
              for name in (*names, *extra)}
    if not staff.is_admin:
        values["centre"] = ""
    filters = Filters(values, export=export)
    filters.centre_id = (staff.centre_id if not staff.is_admin else
                         parse_int(values["centre"], "error.filter_centre", 1, 2**31 - 1))
    filters.page = parse_int(values["page"], "error.filter_page", 1, 10**6) or 1
    return filters


@dataclass
class Pager:
    """One page of a list: which rows, and how many pages there are."""

    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (min(self.page, self.pages) - 1) * self.per_page

    def slice(self, rows: Sequence) -> list:
        return list(rows[self.offset:self.offset + self.per_page])


# A plain number (e.g. a negative voice score) is not a formula: it stays a number.
CSV_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_text(value: object) -> str:
    """A cell Excel will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(CSV_FORMULA_START) and not CSV_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_response(headers: Sequence[str], rows: Iterable[Sequence[object]], stem: str,
                 stamp: str) -> Response:
    """A CSV download Excel opens with Chinese intact: UTF-8 with a byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_text(cell) for cell in row])
    response_headers = dict(SECURITY_HEADERS)
    response_headers["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"),
                    media_type="text/csv; charset=utf-8", headers=response_headers)


def audit_export(session: Session, staff: StaffIdentity, at: dt.datetime, action: str,
                 target: str, filters: Filters, rows: int) -> None:
    """An export is a read of personal data (Art 61): who, when, which list and filter."""
    detail = f"rows={rows}"
    if filters.audit_text():
        detail += " " + filters.audit_text()
    audit(session, staff, at, action, target, detail)


@dataclass
class Export:
    """What builds an export's table: the request, who asks, the parsed filter, the staff
    member's translator and the console's ``localtime`` template filter."""

    request: Request
    staff: StaffIdentity
    filters: Filters
    t: Callable[..., str]
    localtime: Callable[..., str]


@dataclass
class CsvTable:
    """An export's columns (catalogue keys, translated on the way out) and its cells."""

    columns: Sequence[str]
    cells: Iterable[Sequence[object]]
    rows: int  # how many, for the audit entry


def export_list(request: Request, staff: StaffIdentity, *,
                filters_of: Callable[[Request, StaffIdentity], Filters],
                page: Callable[[Request, StaffIdentity], Response],
                table: Callable[[Session, Export], CsvTable],
                action: str, target: str, stem: str) -> Response:
    """A work list's CSV export, the same for every list.

    The list's filter from the query (a bad one shows the list ``page`` with its error);
    the rows from ``table``, which scopes them to the staff member's centre; an audit
    entry ``action`` on ``target`` with the filter and the row count; the download
    ``<stem>-<local time>.csv``. ``target`` and ``stem`` may name a filter value in
    braces, e.g. ``overdue:{list}``.
    """
    ctx = request.app.state.ctx
    try:
        filters = filters_of(request, staff)
    except FormError:
        return page(request, staff)
    export = Export(request, staff, filters, translator(language(request)),
                    ctx.templates.env.filters["localtime"])
    with ctx.db.session() as session:
        result = table(session, export)
        now = ctx.clock()
        audit_export(session, staff, now, action, target.format_map(filters.values), filters,
                     result.rows)
    return csv_response([export.t(key) for key in result.columns], result.cells,
                        stem.format_map(filters.values), export.localtime(now, "%Y%m%d-%H%M"))


def in_centre(stmt, column, staff: StaffIdentity, filters: Filters, person_column=None):
    """Scope a query to the staff member's centre, and to the admin's chosen centre.

    ``person_column`` (``Person.id`` when ``column`` is the person's centre) applies the
    minor rule: minors only for their assigned staff, and not in exports unless asked.
    """
    if person_column is None and column is Person.centre_id:
        person_column = Person.id
    if person_column is not None:
        stmt = stmt.where(person_visible(person_column, staff))
        if filters.excludes_minors:
            stmt = stmt.where(not_minor(person_column))
    if not staff.is_admin:
        return stmt.where(column == staff.centre_id)
    return stmt if filters.centre_id is None else stmt.where(column == filters.centre_id)


def back_to(path: str, query: str, names: Iterable[str]) -> RedirectResponse:
    """303 to a list with the filter its form came from (only the list's own parameters,
    so a form field cannot send staff elsewhere)."""
    allowed = {*names, "centre", "page"}
    kept = urlencode([(k, v) for k, v in parse_qsl(query[:2000]) if k in allowed])
    return RedirectResponse(path + ("?" + kept if kept else ""), status_code=303)
