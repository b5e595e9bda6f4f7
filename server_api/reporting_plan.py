"""Reporting plans (报到计划) and the first-report rule (Art 21): pure date rules.

Shared by the central server (console lists, dashboard count) and the kiosk (what is due,
shown even offline), so both sides judge a check-in the same way. No database, no clock:
callers pass local calendar dates (the centre's time zone).

A plan is a series of windows. Each window has a due day (the last day to report) and
opens ``window_days`` days before it, the due day included:

- ``weekly``: due every week on ``due_day`` (0 = Monday ... 6 = Sunday), window 1-7 days;
- ``monthly``: due every month on day ``due_day`` (1-31; a short month's last day stands
  in for a missing day), window 1-28 days;
- ``dates``: due on each of ``dates``, window 1-31 days, never reaching back past the
  previous due day.

No window opens before the plan's ``start``. A check-in on a day within a window fulfils
that window; a window whose due day passed without one is missed (逾期未报到): a fact for
staff, never a sanction (Art 28).
"""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

WEEKLY, MONTHLY, DATES = "weekly", "monthly", "dates"
KINDS = (WEEKLY, MONTHLY, DATES)
MAX_WINDOW = {WEEKLY: 7, MONTHLY: 28, DATES: 31}
MAX_DATES = 60
# Art 21: report within 10 days after the judgment takes effect (national law).
FIRST_REPORT_DAYS = 10
ONE_DAY = dt.timedelta(days=1)
# Far enough back to hold the latest ended window of a weekly or monthly plan.
RECENT = dt.timedelta(days=40)


class PlanError(ValueError):
    """A plan that cannot be kept; ``key`` names the message in the catalogues."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Window:
    """One reporting obligation: report on a day from ``opens`` to ``due``, both included."""

    opens: dt.date
    due: dt.date

    def holds(self, day: dt.date) -> bool:
        return self.opens <= day <= self.due


@dataclass(frozen=True)
class Plan:
    kind: str
    start: dt.date
    window_days: int = 1
    due_day: int = 0
    dates: tuple[dt.date, ...] = field(default_factory=tuple)

    def validated(self) -> Plan:
        """The plan itself when it can be kept, else PlanError (message key, plain words)."""
        if self.kind not in KINDS:
            raise PlanError("plans.error.kind")
        if not 1 <= self.window_days <= MAX_WINDOW[self.kind]:
            raise PlanError("plans.error.window", max=MAX_WINDOW[self.kind])
        if self.kind == WEEKLY and not 0 <= self.due_day <= 6:
            raise PlanError("plans.error.weekday")
        if self.kind == MONTHLY and not 1 <= self.due_day <= 31:
            raise PlanError("plans.error.month_day")
        if self.kind == DATES:
            if not self.dates:
                raise PlanError("plans.error.no_dates")
            if len(self.dates) > MAX_DATES:
                raise PlanError("plans.error.too_many_dates", max=MAX_DATES)
            if any(d < self.start for d in self.dates):
                raise PlanError("plans.error.date_before_start")
        return self

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "start": self.start.isoformat(),
                           "window_days": self.window_days, "due_day": self.due_day,
                           "dates": [d.isoformat() for d in self.dates]}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Plan | None:
        """The plan stored as ``to_json``; None for empty or unreadable text."""
        if not text:
            return None
        try:
            raw = json.loads(text)
            return cls(kind=raw["kind"], start=dt.date.fromisoformat(raw["start"]),
                       window_days=int(raw["window_days"]), due_day=int(raw.get("due_day", 0)),
                       dates=tuple(sorted({dt.date.fromisoformat(d)
                                           for d in raw.get("dates", [])})),
                       ).validated()
        except (ValueError, KeyError, TypeError, PlanError):
            return None


def _due_days(plan: Plan, first: dt.date):
    """The plan's due days from ``first`` on (ascending, endless for weekly/monthly)."""
    if plan.kind == DATES:
        yield from (d for d in sorted(set(plan.dates)) if d >= first)
        return
    if plan.kind == WEEKLY:
        day = first + dt.timedelta(days=(plan.due_day - first.weekday()) % 7)
        while True:
            yield day
            day += dt.timedelta(days=7)
    year, month = first.year, first.month
    while True:
        last = calendar.monthrange(year, month)[1]
        day = dt.date(year, month, min(plan.due_day, last))
        if day >= first:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def windows(plan: Plan, until: dt.date, since: dt.date | None = None) -> list[Window]:
    """Every window of the plan whose due day is on or before ``until`` (and, for weekly
    and monthly plans, on or after ``since``: a shortcut), then the next one."""
    out: list[Window] = []
    previous_due = plan.start - ONE_DAY
    # A weekly or monthly window never reaches back past the previous due day
    # (MAX_WINDOW), so those plans may start counting at ``since``.
    first = plan.start if since is None or plan.kind == DATES else max(plan.start, since)
    for due in _due_days(plan, first):
        opens = max(due - dt.timedelta(days=plan.window_days - 1), previous_due + ONE_DAY)
        out.append(Window(opens, due))
        previous_due = due
        if due > until:
            break
    return out


def fulfilled(window: Window, checkin_days: Iterable[dt.date]) -> bool:
    return any(window.holds(d) for d in checkin_days)


def _fulfilled_sorted(window: Window, days: list[dt.date]) -> bool:
    """``fulfilled`` over ascending ``days`` (a binary search)."""
    i = bisect.bisect_left(days, window.opens)
    return i < len(days) and days[i] <= window.due


def missed(plan: Plan, checkin_days: Iterable[dt.date], today: dt.date,
           since: dt.date | None = None) -> list[Window]:
    """Windows whose due day is before ``today`` (and on or after ``since``) with no check-in."""
    days = sorted(set(checkin_days))
    return [w for w in windows(plan, today - ONE_DAY, since)
            if w.due < today and (since is None or w.due >= since)
            and not _fulfilled_sorted(w, days)]


@dataclass(frozen=True)
class Due:
    """What the person has to do now, for the kiosk's screen."""

    kind: str
    window: Window | None     # the current or next window (None: the plan has ended)
    done: bool                # a check-in already fulfils ``window``
    open_now: bool            # today is within ``window``
    next_window: Window | None  # the window after ``window`` (shown once it is done)
    last_missed: Window | None  # the latest missed window, when no check-in came after it


def due(plan: Plan, checkin_days: Iterable[dt.date], today: dt.date) -> Due:
    """The current obligation on ``today``: the earliest window not yet past."""
    days = sorted(set(checkin_days))
    ws = windows(plan, today, today - RECENT)
    current = next((i for i, w in enumerate(ws) if w.due >= today), None)
    window = ws[current] if current is not None else None
    nxt = ws[current + 1] if current is not None and current + 1 < len(ws) else None
    if window is not None and nxt is None and plan.kind != DATES:
        nxt = windows(plan, window.due + ONE_DAY, window.due)[-1]
    past = [w for w in ws if w.due < today]
    last_missed = None
    if past and not _fulfilled_sorted(past[-1], days) and not (days and days[-1] > past[-1].due):
        last_missed = past[-1]
    done = window is not None and _fulfilled_sorted(window, days)
    return Due(plan.kind, window, done, window is not None and window.holds(today), nxt,
               last_missed)


@dataclass(frozen=True)
class FirstReport:
    """Art 21: the first report is due within 10 days after the judgment takes effect."""

    deadline: dt.date
    reported_on: dt.date | None
    late: bool        # reported after the deadline, or not yet and the deadline passed
    days_late: int


def first_report(effective: dt.date, first_checkin: dt.date | None,
                 today: dt.date) -> FirstReport:
    """Day ``effective`` + 10 is the last day in time; day 11 is late (flag for staff)."""
    deadline = effective + dt.timedelta(days=FIRST_REPORT_DAYS)
    until = first_checkin or today
    late = until > deadline
    return FirstReport(deadline, first_checkin, late, (until - deadline).days if late else 0)
