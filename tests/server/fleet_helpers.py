"""Helpers of the fleet tests: a server clock tests move, heartbeats as a terminal sends
them."""
from __future__ import annotations

import datetime as dt

from tests.server.central_helpers import TerminalClient


class ShiftedClock:
    """The real clock plus ``offset_s``: moving it ages every heartbeat at once. Terminal
    signatures must move with it (``follow``), or the server would find them stale."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=self.offset_s)

    def follow(self, *terminals: TerminalClient) -> None:
        for terminal in terminals:
            terminal.auth.clock_offset_s = self.offset_s


def report(**overrides) -> dict:
    """A heartbeat body (contract.HeartbeatRequest) of a healthy, idle terminal."""
    body = {
        "app_version": "1.4.2", "content_version": "2026-11-30.1", "config_version": 0,
        "devices": {"camera": {"state": "ok"}, "microphone": {"state": "ok"},
                    "printer": {"state": "error", "detail": "缺纸"},
                    "card_reader": {"state": "unavailable"}},
        "free_disk_bytes": 12 * 1024**3, "outbox_depth": 3,
        "last_sync_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "terminal_time": dt.datetime.now(dt.timezone.utc).isoformat(),
        "locked": False, "in_use": False,
    }
    body.update(overrides)
    return body


def heartbeat(terminal: TerminalClient, **overrides):
    return terminal.request("POST", "/terminal/heartbeat", json=report(**overrides))


def command_result(terminal: TerminalClient, command_id: int, **body):
    return terminal.request("POST", f"/terminal/commands/{command_id}/result", json=body)
