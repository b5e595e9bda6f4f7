"""The leave (外出) rules: one pure function per rule, the same on the kiosk and the server.

Art 27 of the Community Correction Law: leaving the city or county needs the
institution's approval; the provinces' implementing rules set the numbers (DOMAIN.md),
so every number is a key of ``contract.TerminalConfig`` (defaults in
docs/LEAVE_RULES.md). A rule returns ``None`` when the request keeps it, else the
``Broken`` rule: its stable id (the server's error code is ``leave_rule_<id>``), the
configuration key, and the figures a plain-words message needs. No I/O here.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from server_api.contract import TerminalConfig

ARTICLE = "Art 27"  # every rule here implements Art 27 (and the provincial measures)
CENTRE, COUNTY = "centre", "county"  # who approves: 司法所/centre, county-level institution
APPROVAL_LEVELS = (CENTRE, COUNTY)


@dataclass(frozen=True)
class LeavePeriod:
    """A leave asked for or already held: first and last day (both counted)."""

    start: dt.date
    end: dt.date
    frequent: bool = False  # a standing approval for frequent cross-city travel

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Broken:
    """A rule the request breaks."""

    rule: str  # stable id, e.g. "max_days"
    key: str  # the TerminalConfig key that sets it
    params: dict = field(default_factory=dict)  # figures for the message
    article: str = ARTICLE

    @property
    def code(self) -> str:
        """The server's stable error code."""
        return f"leave_rule_{self.rule}"

    @property
    def message_key(self) -> str:
        """The catalogue key of the plain-words message (kiosk and console)."""
        return f"leave_rules.broken.{self.rule}"


def shift(day: dt.date, days: int) -> dt.date:
    """``day`` plus ``days``, held within the calendar (a date near its ends never raises)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def apply_ahead(req: LeavePeriod, today: dt.date, config: TerminalConfig) -> Broken | None:
    """Apply ``leave_apply_days_ahead`` days before the first day (never for a past day)."""
    if (req.start - today).days >= config.leave_apply_days_ahead:
        return None
    earliest = shift(today, config.leave_apply_days_ahead)
    return Broken("apply_ahead", "leave_apply_days_ahead",
                  {"limit": config.leave_apply_days_ahead, "earliest": earliest.isoformat(),
                   "month": earliest.month, "day": earliest.day})


def max_days(req: LeavePeriod, config: TerminalConfig) -> Broken | None:
    """One approval covers at most ``leave_max_days`` days (a frequent-travel one: months)."""
    if req.frequent or req.days <= config.leave_max_days:
        return None
    return Broken("max_days", "leave_max_days", {"limit": config.leave_max_days, "days": req.days})


def frequent_period(req: LeavePeriod, config: TerminalConfig) -> Broken | None:
    """A frequent-travel (经常性跨市县) approval lasts at most ``leave_frequent_max_months``."""
    if not req.frequent:
        return None
    after = add_months(req.start, config.leave_frequent_max_months)  # the first day beyond
    if req.end < after or after == dt.date.max:
        return None
    last = shift(after, -1)
    return Broken("frequent_period", "leave_frequent_max_months",
                  {"limit": config.leave_frequent_max_months, "last": last.isoformat()})


def _trips(others: Iterable[LeavePeriod]) -> list[LeavePeriod]:
    """The leaves that count against the caps: trips, not standing approvals."""
    return [o for o in others if not o.frequent]


def month_count(req: LeavePeriod, others: Iterable[LeavePeriod],
                config: TerminalConfig) -> Broken | None:
    """At most ``leave_max_per_month`` requests starting in one calendar month (0: no cap).

    ``others``: the person's leaves not rejected (pending, approved, closed)."""
    limit = config.leave_max_per_month
    if not limit or req.frequent:
        return None
    count = sum(1 for o in _trips(others)
                if (o.start.year, o.start.month) == (req.start.year, req.start.month))
    if count < limit:
        return None
    return Broken("month_count", "leave_max_per_month",
                  {"limit": limit, "count": count, "month": req.start.month})


def year_days(req: LeavePeriod, others: Iterable[LeavePeriod],
              config: TerminalConfig) -> Broken | None:
    """At most ``leave_max_days_per_year`` days of leave starting in one calendar year."""
    limit = config.leave_max_days_per_year
    if not limit or req.frequent:
        return None
    used = sum(o.days for o in _trips(others) if o.start.year == req.start.year)
    if used + req.days <= limit:
        return None
    return Broken("year_days", "leave_max_days_per_year",
                  {"limit": limit, "used": used, "days": req.days, "year": req.start.year,
                   "left": max(0, limit - used)})


def broken_rules(req: LeavePeriod, today: dt.date, others: Iterable[LeavePeriod],
                 config: TerminalConfig) -> list[Broken]:
    """Every rule the request breaks, in the order a person should hear them."""
    others = list(others)
    found = (apply_ahead(req, today, config), max_days(req, config),
             frequent_period(req, config), month_count(req, others, config),
             year_days(req, others, config))
    return [b for b in found if b is not None]


def check(req: LeavePeriod, today: dt.date, others: Iterable[LeavePeriod],
          config: TerminalConfig) -> Broken | None:
    """The first rule the request breaks, or None when it may be filed."""
    found = broken_rules(req, today, others, config)
    return found[0] if found else None


def approval_level(req: LeavePeriod, config: TerminalConfig) -> str:
    """Who approves: the centre up to ``leave_centre_max_days`` days, else the county-level
    institution (a frequent-travel approval always goes to the county level)."""
    if req.frequent or req.days > config.leave_centre_max_days:
        return COUNTY
    return CENTRE


def return_due(end: dt.date, config: TerminalConfig) -> dt.date:
    """The last day to report back (销假): ``leave_return_days`` after the last day."""
    return shift(end, config.leave_return_days)


def return_late(end: dt.date, returned_on: dt.date, config: TerminalConfig) -> bool:
    """A report back after the due day (the overdue-return rule of the console)."""
    return returned_on > return_due(end, config)
