"""A small stand-in for the central server's fleet endpoints (same interface as
``server_api.client.CentralClient``), and a kiosk core opened without dlib or threads."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.clock import Clock
from kiosk.core import KioskCore
from kiosk.identify import IdentityWatcher
from kiosk.settings import KioskSettings
from kiosk.store import open_store
from kiosk.sync import Syncer
from server_api.client import CentralRejected, CentralUnavailable
from server_api.contract import (
    Command, CommandAck, CommandKind, EventBatchResponse, EventResult, HeartbeatResponse,
    RosterResponse, TerminalConfig,
)


class FixedClock(Clock):
    def __init__(self, now: dt.datetime) -> None:
        self.now_value = now
        self.mono = 1000.0

    def now(self) -> dt.datetime:
        return self.now_value

    def monotonic(self) -> float:
        return self.mono


class FakeCentral:
    """Queues commands, answers heartbeats with them until answered, stores answers once."""

    def __init__(self) -> None:
        self.config = TerminalConfig(version=1)
        self.commands: list[Command] = []
        self.reports = []
        self.results: dict[int, object] = {}
        self.result_posts: list[int] = []
        self.events: list[str] = []
        self.roster_calls = 0
        self.offline = False
        self.results_offline = False  # heartbeats answer, answers are lost (e.g. a timeout)

    def queue(self, command_id: int, kind: str) -> None:
        self.commands.append(Command(id=command_id, kind=CommandKind(kind),
                                     created_at=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)))

    def _check(self) -> None:
        if self.offline:
            raise CentralUnavailable("connection refused")

    def heartbeat(self, report):
        self._check()
        self.reports.append(report)
        pending = [c for c in self.commands if c.id not in self.results]
        return HeartbeatResponse(server_time=report.terminal_time, config=self.config,
                                 commands=pending)

    def command_result(self, command_id, result):
        self._check()
        if self.results_offline:
            raise CentralUnavailable("timed out")
        self.result_posts.append(command_id)
        if command_id in self.results:
            raise CentralRejected(409, "command_finished", "already answered")
        self.results[command_id] = result
        return CommandAck(id=command_id, status=result.status)

    def post_events(self, events):
        self._check()
        self.events += [e.idempotency_key for e in events]
        return EventBatchResponse(results=[EventResult(idempotency_key=e.idempotency_key,
                                                       status="stored") for e in events])

    def roster(self):
        self._check()
        self.roster_calls += 1
        return RosterResponse(centre_id=1, centre_name="示范社区矫正中心", persons=[])


def open_core(data_dir: Path, client, clock) -> KioskCore:
    """A real KioskCore on a real SQLite store, without the camera threads or dlib."""
    sim = data_dir.parent / "sim"
    for part in ("camera", "microphone", "speaker", "card"):
        (sim / part).mkdir(parents=True, exist_ok=True)
    core = KioskCore(KioskSettings(data_dir=data_dir, simulate_dir=sim), clock=clock)
    core.store = open_store(core.settings.database_path)
    core.client = client
    core.syncer = Syncer(core.store, client, clock) if client is not None else None
    core.watcher = IdentityWatcher(core.pump, None, lambda: None)  # never started
    core._open_fleet()  # after the watcher, as in KioskCore.start()
    return core
