"""Staff lock a terminal in the console; the kiosk's own heartbeat picks the command up,
the kiosk refuses persons, and the console shows the command done and the terminal
locked, as the terminal reports it. Unlocking brings the service back."""
from __future__ import annotations

import pytest

from kiosk.errors import FlowError
from provisioning.credentials import load as load_credentials
from tests.e2e.test_kiosk_journey import start_core
from tests.e2e.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.realtime]


def _terminal_row(console, terminal_id: str) -> dict:
    (row,) = [r for r in console.rows("/console/terminals") if r.get("terminal-id") == terminal_id]
    return row


def _command(console, page: int, kind: str) -> dict | None:
    rows = [r for r in console.rows(f"/console/terminals/{page}") if r.get("kind") == kind]
    return rows[0] if rows else None


def test_staff_lock_reaches_the_kiosk_which_refuses_persons(centre, kiosk_settings):
    console = centre.console
    # Heartbeats every 5 s for this centre (the minimum), set before the kiosk starts.
    console.post(f"/console/fleet/centres/{centre.centre_id}/config",
                 {"heartbeat_interval_s": "5", "identity_max_attempts": "4"})
    core = start_core(kiosk_settings)
    try:
        terminal_id = load_credentials(kiosk_settings.credentials_path).terminal_id
        wait_for(lambda: core.fleet.interval_s == 5 and core.watcher.max_attempts == 4, 20,
                 "the centre's configuration to be in force")
        wait_for(lambda: _terminal_row(console, terminal_id)["config-pending"] == "no", 20,
                 "the console to see the version the kiosk runs")
        page = int(_terminal_row(console, terminal_id)["id"])

        console.post(f"/console/terminals/{page}/commands", {"kind": "lock"})
        done = wait_for(lambda: (c := _command(console, page, "lock")) and c["status"] == "done" and c,
                        30, "the kiosk to answer the lock")
        assert done["status"] == "done"
        assert core.service_state().reason == "locked"
        with pytest.raises(FlowError) as err:
            core.begin_identification()
        assert err.value.message_key == "service.error.locked"
        wait_for(lambda: _terminal_row(console, terminal_id)["locked"] == "yes", 20,
                 "the console to show the terminal locked")

        console.post(f"/console/terminals/{page}/commands", {"kind": "unlock"})
        wait_for(lambda: (c := _command(console, page, "unlock")) and c["status"] == "done", 30,
                 "the kiosk to answer the unlock")
        core.begin_identification()  # a person is accepted again
        assert core.watcher.state.status != "idle"
        wait_for(lambda: _terminal_row(console, terminal_id)["locked"] == "no", 20,
                 "the console to show the terminal unlocked")
    finally:
        core.stop()
