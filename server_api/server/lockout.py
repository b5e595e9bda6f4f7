"""Sign-in throttling: failures counted per account name and per client address.

The counters live in the database (``LoginThrottle``), so a lockout holds across every
worker process. Names are counted whether or not such an account exists: a lockout
never tells which usernames are real.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server_api.server.models import LoginThrottle
from server_api.server.settings import CentralSettings


@dataclass(frozen=True)
class Limits:
    """How many failures within ``window`` lock an account name or an address, and how long."""

    account_failures: int
    address_failures: int
    window: dt.timedelta
    lockout: dt.timedelta

    @classmethod
    def from_settings(cls, settings: CentralSettings) -> "Limits":
        return cls(settings.login_max_failures, settings.login_address_max_failures,
                   dt.timedelta(seconds=settings.login_failure_window_s),
                   dt.timedelta(seconds=settings.login_lockout_s))


def account_key(username: str) -> str:
    return "user:" + username.strip().lower()[:100]


def address_key(address: str) -> str:
    return "addr:" + address[:100]


def locked_until(session: Session, keys: list[str], now: dt.datetime) -> dt.datetime | None:
    """The latest end of a lockout still running on any of ``keys``, else None."""
    ends = session.scalars(select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now))
    return max(ends, default=None)


def _row_for_update(session: Session, key: str, now: dt.datetime) -> LoginThrottle:
    """The counter row of ``key``, created if missing, locked against concurrent sign-ins."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0, window_start=now)
                    .on_conflict_do_nothing())
    return session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)


def record_failure(session: Session, key: str, limit: int, limits: Limits,
                   now: dt.datetime) -> dt.datetime | None:
    """Count one failed sign-in on ``key``; returns the lockout's end if it starts now."""
    row = _row_for_update(session, key, now)
    if row.window_start + limits.window <= now:
        row.failures, row.window_start = 0, now
    row.failures += 1
    if row.failures < limit:
        return None
    row.failures, row.window_start = 0, now
    row.locked_until = now + limits.lockout
    return row.locked_until


def clear(session: Session, key: str, now: dt.datetime) -> bool:
    """Forget the failures and any lockout of ``key``; True if a lockout was running."""
    was_locked = locked_until(session, [key], now) is not None
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
    return was_locked


def locked_accounts(session: Session, usernames: list[str],
                    now: dt.datetime) -> dict[str, dt.datetime]:
    """Username (lower case) -> end of its running lockout, for the staff accounts page."""
    keys = {account_key(name): name.lower() for name in usernames}
    rows = session.execute(select(LoginThrottle.key, LoginThrottle.locked_until).where(
        LoginThrottle.key.in_(list(keys)), LoginThrottle.locked_until > now))
    return {keys[key]: until for key, until in rows}
