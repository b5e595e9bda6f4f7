"""What the person has to report and by when (报到计划), in plain words for the screen.

The plan comes with the roster (``kiosk.roster``) and is kept in the local store, so the
kiosk tells what is due even while the central server is out of reach. Check-ins count
from both sides: the latest one the server knew at the last roster sync, and every
check-in taken at this terminal (delivered or not). The rules are
``server_api.reporting_plan``, the same the console uses for its lists.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy import select

from kiosk.clock import Clock, as_local
from kiosk.store import Store
from kiosk.store.models import Checkin, Person
from server_api.reporting_plan import DATES, MONTHLY, WEEKLY, Plan, Window, due

Translate = Callable[..., str]
PERIOD = {WEEKLY: "week", MONTHLY: "month", DATES: "date"}


def day_text(tr: Translate, day: dt.date) -> str:
    """12月5日（周六） / Sat 5 Dec."""
    return tr("plan.day", month=day.month, day=day.day,
              weekday=tr(f"plan.weekday.{day.weekday()}"))


def _range(tr: Translate, window: Window) -> str:
    return tr("plan.range", opens=day_text(tr, window.opens), due=day_text(tr, window.due))


def describe(plan: Plan | None, checkin_days: Iterable[dt.date], today: dt.date,
             tr: Translate) -> list[str]:
    """The lines to show: what is due now (or next), and a missed window, if any.

    Empty when the person has no plan (the screen then shows nothing about it).
    """
    if plan is None:
        return []
    state = due(plan, checkin_days, today)
    lines = []
    if state.last_missed is not None and not state.done:
        lines.append(tr("plan.missed", due=day_text(tr, state.last_missed.due)))
    period = PERIOD[plan.kind]
    if state.window is None:
        lines.append(tr("plan.finished"))
    elif state.done:
        lines.append(tr(f"plan.done.{period}"))
        if state.next_window is not None:
            lines.append(tr("plan.next", range=_range(tr, state.next_window)))
    elif state.open_now:
        key = "plan.due_today" if state.window.due == today else f"plan.due.{period}"
        lines.append(tr(key, due=day_text(tr, state.window.due)))
    else:
        lines.append(tr("plan.next", range=_range(tr, state.window)))
    return lines


def checkin_days(store: Store, person_id: int) -> list[dt.date]:
    """Local days of the person's check-ins known here (this terminal and the server's latest)."""
    with store.session() as s:
        person = s.get(Person, person_id)
        days = [as_local(at).date() for at in s.scalars(
            select(Checkin.at).where(Checkin.person_id == person_id))]
        if person is not None and person.last_checkin_at is not None:
            days.append(as_local(person.last_checkin_at).date())
    return days


def plan_of(store: Store, person_id: int) -> Plan | None:
    with store.session() as s:
        person = s.get(Person, person_id)
        return Plan.from_json(person.reporting_plan) if person is not None else None


def due_lines(store: Store, clock: Clock, person_id: int, tr: Translate) -> list[str]:
    """``describe`` for a person of the local roster, today at the centre."""
    return describe(plan_of(store, person_id), checkin_days(store, person_id), clock.today(), tr)
