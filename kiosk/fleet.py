"""The terminal's side of the fleet: heartbeats, central configuration, staff commands.

One daemon thread sends a heartbeat every ``TerminalConfig.heartbeat_interval_s`` with
the terminal's real state (built by the host, the kiosk core), applies the configuration
of the answer (and keeps it in the store, so it survives a restart and an offline start)
and runs the commands of the answer. The centre's signed configuration (TUF content,
``apply_signed``) goes through the same path; of the two, the newest version is in force
(see docs/CONTENT_UPDATES.md). Each command id runs at most once: it is recorded
before it runs, and its answer is kept until the server acknowledges it (a 409
``command_finished`` counts as acknowledged). ``restart_app`` waits until nobody uses
the terminal and is answered "done" before the app exits. Offline, it keeps trying
quietly.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from kiosk import fleet_store
from kiosk.clock import Clock
from kiosk.store import Store
from server_api.client import CentralClient, CentralError, CentralRejected, CentralUnavailable
from server_api.contract import (
    Command, CommandKind, CommandResult, HeartbeatRequest, TerminalConfig,
)

log = logging.getLogger(__name__)
ACKED_CODES = frozenset({"command_finished", "command_not_found"})  # nothing left to send
WAITING_POLL_S = 1.0  # how often a waiting restart looks whether the terminal is free


class FleetHost(Protocol):
    """What the agent needs from the kiosk core."""

    def heartbeat_report(self, config_version: int) -> HeartbeatRequest: ...
    def apply_config(self, config: TerminalConfig | None) -> None: ...
    def in_use(self) -> bool: ...
    def run_command(self, kind: CommandKind) -> CommandResult: ...
    def can_restart(self) -> bool: ...
    def restart(self) -> None: ...


class FleetAgent:
    def __init__(self, store: Store, client: CentralClient | None, clock: Clock,
                 host: FleetHost) -> None:
        self.store, self.client, self.clock, self.host = store, client, clock, host
        self.config: TerminalConfig | None = fleet_store.load_config(store)
        self.online = False
        self.last_error = ""
        self._wake = threading.Event()
        self._config_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._recover()

    @property
    def config_version(self) -> int:
        return self.config.version if self.config is not None else 0

    @property
    def interval_s(self) -> float:
        return float((self.config or TerminalConfig()).heartbeat_interval_s)

    # --- life cycle ----------------------------------------------------------------
    def start(self) -> None:
        if self.client is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="fleet", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def poke(self) -> None:
        """Send a heartbeat now rather than at the next interval."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat_once()
            except Exception:  # noqa: BLE001 - the heartbeat must never stop for good
                log.exception("heartbeat round failed")
            self._pause(time.monotonic() + self.interval_s)

    def _pause(self, until: float) -> None:
        """Wait for the next heartbeat (or a poke); meanwhile a waiting restart looks
        every second whether the terminal is free, without extra heartbeats."""
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            if self._wake.wait(min(left, WAITING_POLL_S)):
                self._wake.clear()
                return
            try:
                if fleet_store.waiting(self.store):
                    self._run_waiting()
            except Exception:  # noqa: BLE001
                log.exception("waiting command failed")

    def _recover(self) -> None:
        """A command cut short by a crash or restart is answered, never run again."""
        for rec in fleet_store.interrupted(self.store):
            log.warning("command %d (%s) was interrupted by a restart", rec.id, rec.kind)
            fleet_store.record_result(self.store, rec.id, CommandResult(
                status="failed", message="interrupted: the application stopped while it ran"))

    # --- one round -------------------------------------------------------------------
    def beat_once(self) -> bool:
        """Re-send unacknowledged answers, heartbeat, apply config, run commands.

        True when the server answered the heartbeat."""
        if self.client is None:
            return False
        if not self._resend():
            return False
        try:
            answer = self.client.heartbeat(self.host.heartbeat_report(self.config_version))
        except CentralError as exc:
            self.online, self.last_error = False, type(exc).__name__
            log.info("heartbeat deferred: %s", self.last_error)
            return False
        self.online, self.last_error = True, ""
        if self._apply(answer.config):
            self._wake.set()  # tell the console the new version at once
        for command in answer.commands:
            if self._handle(command):
                self._wake.set()  # report the state the command changed at once
        self._run_waiting()
        return True

    def apply_signed(self, config: TerminalConfig) -> bool:
        """Put the centre's configuration from the verified content set (TUF) in force
        when it is newer than the one in force; True when applied. Versions come from one
        counter on the server, so the newest wins: a later heartbeat of the same or a
        newer version (it carries this terminal's own overrides too) replaces it."""
        with self._config_lock:
            if self.config is not None and config.version <= self.config.version:
                return False
        return self._apply(config)

    def _apply(self, config: TerminalConfig) -> bool:
        with self._config_lock:  # the heartbeat and the content threads both apply
            if self.config is not None and (config == self.config
                                            or config.version < self.config.version):
                return False  # the same, or older than the one in force (the newest wins)
            try:
                self.host.apply_config(config)
            except Exception:  # noqa: BLE001 - keep the last good configuration
                log.exception("configuration %d not applied", config.version)
                return False
            fleet_store.save_config(self.store, config)
            self.config = config
            log.info("configuration version %d in force", config.version)
            return True

    def _handle(self, command: Command) -> bool:
        """Run a new command (True), or leave one that ran before to _resend (False)."""
        restart = command.kind == CommandKind.restart_app
        if not fleet_store.record_received(self.store, command.id, command.kind.value,
                                           "waiting" if restart else "running", self.clock.now()):
            return False  # ran before: its answer is re-sent by _resend until acknowledged
        log.info("command %d: %s", command.id, command.kind.value)
        if restart:
            return False  # runs when nobody uses the terminal (_run_waiting)
        try:
            result = self.host.run_command(command.kind)
        except Exception as exc:  # noqa: BLE001 - staff see the failure, the kiosk goes on
            log.exception("command %d failed", command.id)
            result = CommandResult(status="failed", message=f"error: {type(exc).__name__}")
        self._finish(command.id, result)
        return True

    def _finish(self, command_id: int, result: CommandResult) -> bool:
        fleet_store.record_result(self.store, command_id, result)
        return self._send(command_id, result)

    def _run_waiting(self) -> None:
        for rec in fleet_store.waiting(self.store):
            if not self.host.can_restart():
                self._finish(rec.id, CommandResult(
                    status="failed", message="no application window to restart"))
                continue
            if self.host.in_use():
                continue  # someone is at the terminal: try again in a moment
            self._finish(rec.id, CommandResult(status="done", message="restarting"))
            self.host.restart()
            return

    def _resend(self) -> bool:
        """False when the server is unreachable (the round stops there)."""
        for command_id, result in fleet_store.unsent_results(self.store):
            if not self._send(command_id, result):
                return False
        return True

    def _send(self, command_id: int, result: CommandResult) -> bool:
        """Deliver one answer; False only when the server could not be reached."""
        if self.client is None:
            return False
        try:
            self.client.command_result(command_id, result)
        except CentralRejected as exc:
            if exc.code not in ACKED_CODES:
                log.warning("answer to command %d refused: %s", command_id, exc.code)
                return True  # kept; tried again next round
        except CentralUnavailable as exc:
            self.online, self.last_error = False, type(exc).__name__
            return False
        except CentralError as exc:
            log.warning("answer to command %d not sent: %s", command_id, type(exc).__name__)
            return False
        fleet_store.mark_acked(self.store, command_id, self.clock.now())
        return True
