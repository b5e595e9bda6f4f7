"""The terminal fleet on the central server: heartbeats, states, commands, configuration,
as staff see them in the console. One server per database for the module; its clock is
moved (never slept on) to age heartbeats."""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import pytest
import requests

from tests.server.central_helpers import TerminalClient, event, provisioned_terminal
from tests.server.fleet_helpers import ShiftedClock, command_result, heartbeat, report
from tests.server.module_server import DATABASES, module_database
from tests.staff_console import (
    ConsoleError, StaffConsole, make_id_number, parse_page, start_server,
)


@dataclass
class Fleet:
    base_url: str
    clock: ShiftedClock
    admin: StaffConsole
    staff_b: StaffConsole  # staff of centre B only
    centre_a: int
    centre_b: int
    terminal: TerminalClient  # centre A
    other: TerminalClient  # centre A too


@pytest.fixture(scope="module", params=DATABASES)
def fleet_db(request, tmp_path_factory):
    with module_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def fleet(fleet_db, tmp_path_factory):
    clock = ShiftedClock()
    base_url, password, stop = start_server(fleet_db, tmp_path_factory.mktemp("fleet-data"),
                                            clock=clock)
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre_a = admin.create_centre("城关司法所")
        centre_b = admin.create_centre("河西司法所")
        admin.create_staff("hexi01", "hexi-password-1", "staff", centre_b)
        staff_b = StaffConsole(base_url)
        staff_b.login("hexi01", "hexi-password-1")
        terminal = provisioned_terminal(base_url, admin.create_token(centre_a), "大厅一号机")
        other = provisioned_terminal(base_url, admin.create_token(centre_a), "大厅二号机")
        yield Fleet(base_url, clock, admin, staff_b, centre_a, centre_b, terminal, other)
    finally:
        stop()


@pytest.fixture
def clock(fleet):
    """The fleet's clock, back at the real time after the test."""
    yield fleet.clock
    fleet.clock.offset_s = 0
    fleet.clock.follow(fleet.terminal, fleet.other)


def row_of(console: StaffConsole, terminal: TerminalClient, path="/console/terminals") -> dict:
    rows = [r for r in console.rows(path) if r.get("terminal-id") == terminal.terminal_id]
    assert len(rows) == 1, rows
    return rows[0]


def page_id(console: StaffConsole, terminal: TerminalClient) -> int:
    return int(row_of(console, terminal)["id"])


def queue(console: StaffConsole, terminal: TerminalClient, kind: str) -> int:
    """Press a command's button on the terminal's page; the new command's id."""
    tid = page_id(console, terminal)
    before = {r["command-id"] for r in console.rows(f"/console/terminals/{tid}") if "command-id" in r}
    console.post(f"/console/terminals/{tid}/commands", {"kind": kind})
    after = [r for r in console.rows(f"/console/terminals/{tid}")
             if "command-id" in r and r["command-id"] not in before]
    assert len(after) == 1 and after[0]["kind"] == kind and after[0]["status"] == "queued"
    return int(after[0]["command-id"])


def commands_shown(console: StaffConsole, terminal: TerminalClient) -> dict[int, dict]:
    tid = page_id(console, terminal)
    return {int(r["command-id"]): r for r in console.rows(f"/console/terminals/{tid}")
            if "command-id" in r}


def test_a_heartbeat_is_stored_and_shown_as_reported(fleet, clock):
    late = clock() - dt.timedelta(seconds=42)
    answer = heartbeat(fleet.terminal, terminal_time=late.isoformat(), outbox_depth=7,
                       locked=True)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["config"]["idle_timeout_s"] == 90 and body["commands"] == []
    row = row_of(fleet.admin, fleet.terminal)
    assert (row["state"], row["locked"], row["app-version"]) == ("online", "yes", "1.4.2")
    html = fleet.admin.get(f"/console/terminals/{row['id']}").text
    for shown in ("1.4.2", "2026-11-30.1", "待上传 7 条", "终端慢 42 秒", "打印机：故障（缺纸）", "读卡器：不可用",
                  "12.0 GB", "暂停服务"):
        assert shown in html, shown
    # The dashboard's live fragment (what the open page swaps in) counts it online.
    live = fleet.admin.get("/console/dashboard/live").text
    assert 'data-count-state="online"' in live and fleet.terminal.terminal_id not in live


def test_states_follow_the_heartbeats_online_stale_offline_online(fleet, clock):
    assert heartbeat(fleet.other).status_code == 200
    assert row_of(fleet.admin, fleet.other)["state"] == "online"
    for offset, state in ((61, "stale"), (299, "stale"), (301, "offline")):
        clock.offset_s = offset
        assert row_of(fleet.admin, fleet.other)["state"] == state, offset
    live = parse_page(fleet.admin.get("/console/dashboard/live").text).rows
    assert {"terminal-id": fleet.other.terminal_id, "state": "offline"} in live
    clock.follow(fleet.other)
    assert heartbeat(fleet.other).status_code == 200
    assert row_of(fleet.admin, fleet.other)["state"] == "online"
    live = parse_page(fleet.admin.get("/console/dashboard/live").text).rows
    assert all(r.get("terminal-id") != fleet.other.terminal_id for r in live)


def test_a_terminal_never_seen_and_a_revoked_one(fleet, clock):
    quiet = provisioned_terminal(fleet.base_url, fleet.admin.create_token(fleet.centre_a), "三号机")
    assert row_of(fleet.admin, quiet)["state"] == "never"
    assert {"terminal-id": quiet.terminal_id, "state": "never"} in fleet.admin.rows("/console/")
    assert heartbeat(quiet).status_code == 200
    fleet.admin.revoke_terminal(quiet.terminal_id)
    assert row_of(fleet.admin, quiet)["state"] == "revoked"
    refused = heartbeat(quiet)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "terminal_revoked"
    with pytest.raises(ConsoleError) as err:
        fleet.admin.post(f"/console/terminals/{page_id(fleet.admin, quiet)}/commands", {"kind": "lock"})
    assert err.value.status == 409 and "已吊销" in err.value.message


def test_a_command_is_delivered_until_answered_and_its_result_shown(fleet, clock):
    command_id = queue(fleet.admin, fleet.terminal, "lock")
    for _ in range(2):  # delivered, but unanswered: it comes again
        commands = heartbeat(fleet.terminal).json()["commands"]
        assert [(c["id"], c["kind"]) for c in commands] == [(command_id, "lock")]
        assert commands_shown(fleet.admin, fleet.terminal)[command_id]["status"] == "delivered"
    assert heartbeat(fleet.other).json()["commands"] == []
    stolen = command_result(fleet.other, command_id, status="done", message="locked")
    assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "command_not_found"
    ack = command_result(fleet.terminal, command_id, status="done", message="已暂停服务")
    assert ack.status_code == 200 and ack.json() == {"id": command_id, "status": "done"}
    shown = commands_shown(fleet.admin, fleet.terminal)[command_id]
    assert shown["status"] == "done"
    assert "已暂停服务" in fleet.admin.get(f"/console/terminals/{page_id(fleet.admin, fleet.terminal)}").text
    assert heartbeat(fleet.terminal).json()["commands"] == []
    again = command_result(fleet.terminal, command_id, status="failed", message="again")
    assert again.status_code == 409 and again.json()["error"]["code"] == "command_finished"
    assert commands_shown(fleet.admin, fleet.terminal)[command_id]["status"] == "done"


def test_logs_and_a_screenshot_come_back_and_bad_attachments_are_refused(fleet, clock):
    logs_id = queue(fleet.admin, fleet.terminal, "upload_logs")
    shot_id = queue(fleet.admin, fleet.terminal, "screenshot")
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    refusals = [
        (logs_id, dict(attachment_b64=base64.b64encode(png).decode(), attachment_type="image/png"), 422),
        (shot_id, dict(attachment_b64=base64.b64encode(b"not a png").decode(), attachment_type="image/png"), 422),
        (shot_id, dict(attachment_b64="@@not base64@@", attachment_type="image/png"), 422),
        (logs_id, dict(attachment_b64=base64.b64encode(b"x" * (4 * 1024**2 + 1)).decode(),
                       attachment_type="text/plain"), 413),
    ]
    for command_id, extra, status in refusals:
        answer = command_result(fleet.terminal, command_id, status="done", **extra)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["code"] in ("attachment_invalid", "attachment_too_large")
    # Nothing half written: both are still open and come with the next heartbeat.
    assert {c["id"] for c in heartbeat(fleet.terminal).json()["commands"]} == {logs_id, shot_id}
    text = "2026-12-02 08:00:01 同步完成\n2026-12-02 08:00:31 心跳正常\n"
    assert command_result(fleet.terminal, logs_id, status="done", message="200 行",
                          attachment_b64=base64.b64encode(text.encode()).decode(),
                          attachment_type="text/plain").status_code == 200
    assert command_result(fleet.terminal, shot_id, status="done",
                          attachment_b64=base64.b64encode(png).decode(),
                          attachment_type="image/png").status_code == 200
    tid = page_id(fleet.admin, fleet.terminal)
    logs = fleet.admin.get(f"/console/terminals/{tid}/commands/{logs_id}/attachment")
    assert logs.headers["content-type"].startswith("text/plain") and logs.text == text
    shot = fleet.admin.get(f"/console/terminals/{tid}/commands/{shot_id}/attachment")
    assert shot.headers["content-type"] == "image/png" and shot.content == png
    with pytest.raises(ConsoleError) as err:
        fleet.staff_b.get(f"/console/terminals/{tid}/commands/{shot_id}/attachment")
    assert err.value.status == 404


def _effective(console: StaffConsole, terminal: TerminalClient) -> dict[str, tuple[str, str]]:
    tid = page_id(console, terminal)
    return {r["effective-key"]: (r["value"], r["source"])
            for r in console.rows(f"/console/terminals/{tid}") if "effective-key" in r}


def test_configuration_is_inherited_and_its_version_moves(fleet, clock):
    start = heartbeat(fleet.other).json()["config"]
    fleet.admin.post(f"/console/fleet/centres/{fleet.centre_a}/config",
                     {"idle_timeout_s": "120", "opening_hours": "08:00-20:00"})
    centre_cfg = heartbeat(fleet.other).json()["config"]
    assert centre_cfg["version"] > start["version"]
    assert (centre_cfg["idle_timeout_s"], centre_cfg["opening_hours"]) == (120, "08:00-20:00")
    tid = page_id(fleet.admin, fleet.other)
    fleet.admin.post(f"/console/terminals/{tid}/config",
                     {"idle_timeout_s": "60", "languages": "en,zh_CN"})
    own = heartbeat(fleet.other, config_version=centre_cfg["version"]).json()["config"]
    assert own["version"] > centre_cfg["version"]
    assert (own["idle_timeout_s"], own["languages"], own["opening_hours"]) == (60, ["en", "zh_CN"], "08:00-20:00")
    effective = _effective(fleet.admin, fleet.other)
    leave_keys = {k: effective.pop(k) for k in list(effective) if k.startswith("leave_")}
    assert effective == {
        "idle_timeout_s": ("60", "terminal"), "identity_max_attempts": ("3", "default"),
        "languages": ("en,zh_CN", "terminal"), "opening_hours": ("08:00-20:00", "centre"),
        "heartbeat_interval_s": ("30", "default")}
    assert leave_keys and all(source == "default" for _, source in leave_keys.values())
    # The terminal still runs the older version: the console says so, until it reports the new one.
    assert row_of(fleet.admin, fleet.other)["config-pending"] == "yes"
    heartbeat(fleet.other, config_version=own["version"])
    assert row_of(fleet.admin, fleet.other)["config-pending"] == "no"
    # The other terminal of the centre has only the centre's settings.
    assert heartbeat(fleet.terminal).json()["config"]["idle_timeout_s"] == 120
    # A bad value is refused in Chinese and nothing changes.
    with pytest.raises(ConsoleError) as err:
        fleet.admin.post(f"/console/terminals/{tid}/config", {"idle_timeout_s": "5", "languages": "en"})
    assert err.value.status == 400
    assert err.value.message == "“无操作自动退出（秒）”填写有误：应为15 到 900 之间的整数。"
    with pytest.raises(ConsoleError) as err:
        fleet.admin.post(f"/console/fleet/centres/{fleet.centre_a}/config", {"opening_hours": "8点到20点"})
    assert "服务时间" in err.value.message
    assert heartbeat(fleet.other).json()["config"] == own
    # Clearing the terminal's fields goes back to the centre's values, under a new version.
    fleet.admin.post(f"/console/terminals/{tid}/config", {})
    cleared = heartbeat(fleet.other).json()["config"]
    assert cleared["version"] > own["version"]
    assert (cleared["idle_timeout_s"], cleared["languages"]) == (120, ["zh_CN", "en"])
    fleet.admin.post(f"/console/fleet/centres/{fleet.centre_a}/config", {})


def test_staff_of_another_centre_neither_see_nor_command_the_terminal(fleet, clock):
    heartbeat(fleet.terminal)
    tid = page_id(fleet.admin, fleet.terminal)
    assert all(r.get("terminal-id") != fleet.terminal.terminal_id
               for r in fleet.staff_b.rows("/console/terminals"))
    live = fleet.staff_b.get("/console/dashboard/live").text
    assert fleet.terminal.terminal_id not in live
    for method, path, data in (
            ("get", f"/console/terminals/{tid}", None),
            ("post", f"/console/terminals/{tid}/commands", {"kind": "unlock"}),
            ("post", f"/console/terminals/{tid}/config", {"idle_timeout_s": "100"}),
            ("get", f"/console/fleet/centres/{fleet.centre_a}/config", None),
            ("post", f"/console/fleet/centres/{fleet.centre_a}/config", {"idle_timeout_s": "100"})):
        with pytest.raises(ConsoleError) as err:
            getattr(fleet.staff_b, method)(path, *([data] if data is not None else []))
        assert err.value.status == 404, path
    assert heartbeat(fleet.terminal).json()["commands"] == []
    assert heartbeat(fleet.terminal).json()["config"]["idle_timeout_s"] == 90


def test_a_heartbeat_with_bad_fields_is_refused_cleanly(fleet, clock):
    for overrides in ({"devices": {"toaster": {"state": "ok"}}},
                      {"app_version": "1.0\x00"},
                      {"terminal_time": "0001-01-01T00:00:00+23:59"},
                      {"free_disk_bytes": -1}):
        answer = heartbeat(fleet.terminal, **overrides)
        assert answer.status_code == 422, (overrides, answer.text)
        assert answer.json()["error"]["code"] == "validation_error"
    unsigned = requests.post(fleet.base_url + "/api/v1/terminal/heartbeat",
                                           json=report(), timeout=10)
    assert unsigned.status_code == 401


def test_flagged_events_reach_the_live_dashboard_as_soon_as_they_are_synced(fleet, clock):
    """What the open dashboard fetches every few seconds: a call for staff, a failed
    identity check and a leave not reported back in time show with the sync itself."""
    def live() -> str:
        return fleet.admin.get("/console/dashboard/live").text

    def count(html: str, box: str) -> int:
        marker = f'id="{box}" data-count="'
        return int(html.split(marker, 1)[1].split('"', 1)[0])

    person = fleet.admin.create_person(fleet.centre_a, "王五", make_id_number(51), "缓刑")
    before = live()
    today = clock().date()
    leave_key = "fleet-overdue-leave-1"
    results = fleet.terminal.post_events(
        event("staff_call", person, screen="idle"),
        event("verification_failure", person, reason="face_mismatch", attempt=1, claimed=True),
        event("leave_request", person, leave_key, destination="南京",
              start_date=(today - dt.timedelta(days=6)).isoformat(),
              end_date=(today - dt.timedelta(days=2)).isoformat(), reason="探亲"),
    ).json()["results"]
    assert [r["status"] for r in results] == ["stored"] * 3
    fleet.admin.decide_leave(leave_key, approve=True)
    after = live()
    assert 'data-screen="idle"' in after and 'data-screen="idle"' not in before
    assert count(after, "open-verifications-count") == count(before, "open-verifications-count") + 1
    assert count(after, "overdue-returns-count") == count(before, "overdue-returns-count") + 1
    assert fleet.terminal.post_events(event("leave_return", person, leave_key=leave_key)).json()[
        "results"][0]["status"] == "stored"
    assert count(live(), "overdue-returns-count") == count(before, "overdue-returns-count")
    # Centre B's staff see none of it.
    assert 'data-screen="idle"' not in fleet.staff_b.get("/console/dashboard/live").text
