"""The server's side of the leave rules: the configuration in force, the person's other
leaves, and the refusal of a request that breaks a rule (``server_api.leave_rules``).

A leave request is checked against the effective configuration of the terminal that
filed it (the same one the terminal checked), on the day it was filed at the terminal
in the centre's time zone, so a request queued offline is judged as it was made.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_api import contract, leave_rules
from server_api.server.clock import as_utc
from server_api.server.errors import ApiError
from server_api.server.fleet import DEFAULTS, effective, effective_for
from server_api.server.fleet_models import ConfigSetting
from server_api.server.models import Leave

# The leaves that count against the caps: all but rejected ones.
COUNTED = (contract.LeaveStatus.pending.value, contract.LeaveStatus.approved.value,
           contract.LeaveStatus.closed.value)
DEFAULT_RETURN_DAYS = DEFAULTS.leave_return_days


def held_leaves(session: Session, person_id: int) -> list[leave_rules.LeavePeriod]:
    """The person's leaves that count against the caps."""
    rows = session.execute(select(Leave.start_date, Leave.end_date, Leave.frequent).where(
        Leave.person_id == person_id, Leave.status.in_(COUNTED)))
    return [leave_rules.LeavePeriod(start, end, bool(frequent)) for start, end, frequent in rows]


def check_request(session: Session, centre_id: int, terminal_id: int, person_id: int,
                  period: leave_rules.LeavePeriod, filed_at: dt.datetime,
                  zone: str) -> str:
    """The approval level of a request that keeps every rule, else ApiError 422
    ``leave_rule_<rule>`` naming the rule and its configuration key."""
    config = effective_for(session, centre_id, terminal_id).config
    today = as_utc(filed_at).astimezone(ZoneInfo(zone)).date()
    broken = leave_rules.check(period, today, held_leaves(session, person_id), config)
    if broken is not None:
        figures = ", ".join(f"{k}={v}" for k, v in sorted(broken.params.items()))
        raise ApiError(422, broken.code, f"leave rule {broken.rule} ({broken.key}, "
                       f"{broken.article}) broken: {figures}")
    return leave_rules.approval_level(period, config)


def return_days_overrides(session: Session) -> dict[int, int]:
    """Centres whose ``leave_return_days`` differs from the default: centre id -> days.

    The overdue-return rule reads the centre's setting (a terminal's own setting does not
    move a person's due day: the person belongs to the centre, not to a terminal)."""
    rows = session.scalars(select(ConfigSetting).where(ConfigSetting.centre_id.is_not(None)))
    found = {}
    for row in rows:
        days = effective(row, None).config.leave_return_days
        if days != DEFAULT_RETURN_DAYS:
            found[row.centre_id] = days
    return found
