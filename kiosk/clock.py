"""The one clock of the kiosk, injectable so tests control time."""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


class Clock:
    def now(self) -> dt.datetime:
        """Aware UTC time; stored naive (UTC) in SQLite."""
        return dt.datetime.now(dt.timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def today(self) -> dt.date:
        """The calendar day at the centre (China Standard Time)."""
        return self.now().astimezone(LOCAL_ZONE).date()


def naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def as_local(stored: dt.datetime) -> dt.datetime:
    """A naive UTC value from the store, shown in the centre's time."""
    return stored.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_ZONE)
