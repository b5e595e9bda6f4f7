"""Is the terminal in service? Staff lock and opening hours (the centre's local time)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceState:
    """``reason``: "" (in service), "locked" (paused by staff) or "closed" (outside
    ``hours``, "HH:MM-HH:MM")."""

    reason: str = ""
    hours: str = ""

    @property
    def open(self) -> bool:
        return not self.reason


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def within_hours(hours: str, local: dt.time) -> bool:
    """True inside "HH:MM-HH:MM" (start included, end excluded); the span may pass
    midnight ("22:00-06:00"); "" or an equal start and end mean 24 hours."""
    if not hours:
        return True
    start_text, end_text = hours.split("-")
    start, end, now = _minutes(start_text), _minutes(end_text), local.hour * 60 + local.minute
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end


def service_state(locked: bool, hours: str, local_now: dt.datetime) -> ServiceState:
    if locked:
        return ServiceState("locked", hours)
    if not within_hours(hours, local_now.time()):
        return ServiceState("closed", hours)
    return ServiceState("", hours)
