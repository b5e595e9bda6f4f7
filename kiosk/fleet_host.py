"""The kiosk core's side of the fleet: its real state, central configuration, commands.

A mixin of ``KioskCore`` (store, clock, settings, devices, syncer, watcher, session).
What it reports is what is in force: the configuration version applied, the lock the
core enforces. Decisions: a staff lock (or closing time) refuses every NEW person at
once, but a person already in session may finish (nobody is cut off mid check-in); staff
mode stays open so staff at the terminal can work. The lock survives a restart.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import shutil
from importlib import metadata
from typing import Callable

from content.agent import ContentAgent
from content.updater import ContentUpdater
from kiosk import fleet_store, logfile, outbox
from kiosk.errors import FlowError
from kiosk.fleet import FleetAgent
from kiosk.service import ServiceState, service_state
from provisioning.credentials import load as load_credentials
from server_api.contract import (
    DEVICE_NAMES, CommandKind, CommandResult, DeviceReport, HeartbeatRequest, TerminalConfig,
)

log = logging.getLogger(__name__)
RESTART_EXIT_CODE = 75  # `kiosk` starts the application again on this exit code
ALL_LANGUAGES = ("zh_CN", "en")
MAX_ATTACHMENT = 4 * 1024 * 1024


def app_version() -> str:
    try:
        return metadata.version("correction-kiosk")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class FleetMixin:
    fleet: FleetAgent | None = None
    terminal_config: TerminalConfig | None = None
    _locked: bool = False
    _screen_capture: Callable[[], bytes] | None = None
    _restart_handler: Callable[[], None] | None = None
    exit_code: int = 0

    def _start_fleet(self) -> None:
        self._open_fleet()
        self.fleet.start()
        self.content_agent.start()

    def _open_fleet(self) -> None:
        """The lock and the last good configuration from the store (offline too)."""
        store = self._store()
        self._locked = fleet_store.load_locked(store)
        self.fleet = FleetAgent(store, self.client, self.clock, self)
        creds = load_credentials(self.settings.credentials_path)
        self.content_updater = ContentUpdater(self.settings.data_dir, self.client,
                                              creds.centre_id if creds else None)
        self.content_agent = ContentAgent(self.content_updater, on_change=self._content_changed)
        self.apply_config(self.fleet.config)
        self.apply_signed_config()

    # --- what the app registers ------------------------------------------------------
    def set_screen_capture(self, capture: Callable[[], bytes] | None) -> None:
        """The UI's way to picture the screen (PNG bytes), for the screenshot command."""
        self._screen_capture = capture

    def set_restart_handler(self, handler: Callable[[], None] | None) -> None:
        """The UI's way to stop itself so that `kiosk` starts it again."""
        self._restart_handler = handler

    # --- configuration ---------------------------------------------------------------
    def apply_config(self, config: TerminalConfig | None) -> None:
        """Put a central configuration in force now (None: the local defaults)."""
        self.terminal_config = config
        if config is None:
            return
        if self.watcher is not None:
            self.watcher.max_attempts = config.identity_max_attempts
        if self.language not in config.languages and not self.in_use():
            self.set_language(config.languages[0])

    def apply_signed_config(self) -> bool:
        """Put the centre's configuration of the verified content set in force (through
        the heartbeat's path) when it is newer than the one in force; True if applied."""
        data = self.content_updater.centre_config()
        if data is None or self.fleet is None:
            return False
        try:
            config = TerminalConfig.model_validate_json(data)
        except ValueError:
            log.warning("signed centre configuration not usable here; the one in force stays")
            return False
        return self.fleet.apply_signed(config)

    def _content_changed(self) -> None:
        """A new content version (or refusal): its configuration, then a heartbeat now."""
        try:
            self.apply_signed_config()
        finally:
            self.fleet.poke()

    def languages(self) -> list[str]:
        """Languages the screens offer; the first is the idle screen's."""
        if self.terminal_config is not None:
            return list(self.terminal_config.languages)
        first = self.settings.language
        return [first] + [lang for lang in ALL_LANGUAGES if lang != first]

    def idle_timeout_s(self) -> float:
        if self.terminal_config is not None:
            return float(self.terminal_config.idle_timeout_s)
        return self.settings.idle_timeout_s

    # --- service ---------------------------------------------------------------------
    def service_state(self) -> ServiceState:
        hours = self.terminal_config.opening_hours if self.terminal_config else ""
        return service_state(self._locked, hours, self.local_now())

    def _require_service(self) -> None:
        """Refuse a new person while the terminal is out of service."""
        state = self.service_state()
        if not state.open:
            if self.watcher is not None:
                self.watcher.cancel()
            raise FlowError(f"service.error.{state.reason}", hours=state.hours)

    def in_use(self) -> bool:
        return self.person is not None or self.staff_mode

    def _set_locked(self, locked: bool) -> str:
        fleet_store.save_locked(self._store(), locked)
        self._locked = locked
        if not locked:
            return "unlocked"
        if self.person is not None:
            return "locked: the person in session may finish, then 暂停服务 is shown"
        if self.watcher is not None:
            self.watcher.cancel()
        return "locked: 暂停服务 shown, no person accepted"

    # --- heartbeat -------------------------------------------------------------------
    def heartbeat_report(self, config_version: int) -> HeartbeatRequest:
        store = self._store()
        status = self.sync_status()
        last_sync = getattr(status, "last_success", None) or outbox.last_delivered(store)
        devices = {name: DeviceReport(state=h.state, detail=(h.detail or h.message_key)[:200])
                   for name, h in self.device_status().items() if name in DEVICE_NAMES}
        return HeartbeatRequest(
            app_version=app_version(), content_version=self.content_version(),
            **self._content_progress(),
            config_version=config_version, devices=devices,
            free_disk_bytes=shutil.disk_usage(self.settings.data_dir).free,
            outbox_depth=outbox.depth(store), last_sync_at=last_sync,
            terminal_time=self.clock.now(), locked=self._locked, in_use=self.in_use())

    def _content_progress(self) -> dict:
        updater = getattr(self, "content_updater", None)
        if updater is None:
            return {}
        status = updater.status
        return {"content_bytes_done": status.bytes_done, "content_bytes_total": status.bytes_total,
                "content_error": status.error}

    def content_version(self) -> str:
        """The verified content version in force (``v<N>``), else a short digest of the
        lesson files held here ("" when none)."""
        updater = getattr(self, "content_updater", None)
        if updater is not None and updater.current_version():
            return updater.current_version()
        folder = self.settings.content_dir
        names = sorted(p.name for p in folder.glob("*.video")) if folder.is_dir() else []
        if not names:
            return ""
        return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]

    # --- commands --------------------------------------------------------------------
    def run_command(self, kind: CommandKind) -> CommandResult:
        handler = getattr(self, f"_command_{kind.value}")
        return handler()

    def _command_sync_now(self) -> CommandResult:
        if self.syncer is None or self.client is None:
            return CommandResult(status="failed", message="not provisioned")
        ok = self.syncer.sync_now()
        depth = outbox.depth(self._store())
        if not ok:
            return CommandResult(status="failed", message=(
                f"central server not reached ({self.syncer.status.last_error}); "
                f"outbox depth {depth}"))
        return CommandResult(status="done", message=f"synchronised; outbox depth {depth}")

    def _command_reload_config(self) -> CommandResult:
        version = self.fleet.config_version if self.fleet else 0
        return CommandResult(status="done", message=f"configuration version {version} in force")

    def _command_upload_logs(self) -> CommandResult:
        text = logfile.tail(self.settings.log_path)
        if text is None:
            return CommandResult(status="failed", message="no log file on this terminal")
        data = text.encode("utf-8")
        return CommandResult(status="done", message=f"last {len(data)} bytes of the log",
                             attachment_b64=base64.b64encode(data).decode("ascii"),
                             attachment_type="text/plain")

    def _command_screenshot(self) -> CommandResult:
        capture = self._screen_capture
        if capture is None:
            return CommandResult(status="failed", message="no screen: the application has no window")
        png = capture()
        if not png or len(png) > MAX_ATTACHMENT:
            return CommandResult(status="failed", message="the screen could not be captured")
        return CommandResult(status="done", message=f"screenshot, {len(png)} bytes",
                             attachment_b64=base64.b64encode(png).decode("ascii"),
                             attachment_type="image/png")

    def _command_lock(self) -> CommandResult:
        return CommandResult(status="done", message=self._set_locked(True))

    def _command_unlock(self) -> CommandResult:
        return CommandResult(status="done", message=self._set_locked(False))

    def can_restart(self) -> bool:
        return self._restart_handler is not None

    def restart(self) -> None:
        """Stop the application with RESTART_EXIT_CODE (the UI's handler stops it)."""
        self.exit_code = RESTART_EXIT_CODE
        log.info("restarting the application (staff command)")
        handler = self._restart_handler
        if handler is not None:
            handler()
