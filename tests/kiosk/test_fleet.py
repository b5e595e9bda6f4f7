"""The terminal's fleet side on a real SQLite store with a fake central server: what
staff see in the console and what a person at the terminal notices."""
from __future__ import annotations

import base64
import datetime as dt
import logging

import pytest

from kiosk import fleet_store, logfile
from kiosk.errors import FlowError
from kiosk.fleet import FleetAgent
from kiosk.fleet_host import RESTART_EXIT_CODE
from kiosk.flows import checkin
from kiosk.identify import IdentityState
from kiosk.service import within_hours
from kiosk.store.models import Person
from server_api.contract import CommandResult, TerminalConfig
from tests.kiosk.fleet_fakes import FakeCentral, FixedClock, open_core

NOON_LOCAL = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.timezone.utc)  # 12:00 in Beijing


@pytest.fixture
def central():
    return FakeCentral()


@pytest.fixture
def clock():
    return FixedClock(NOON_LOCAL)


@pytest.fixture
def core(tmp_path, central, clock):
    c = open_core(tmp_path / "data", central, clock)
    with c.store.session() as s:
        s.add(Person(id=7, name="张小三", id_number="110101199003070011", case_type="缓刑"))
    yield c
    c.store.close()


def reopen(tmp_path, client, clock):
    """The same terminal after a restart (same data folder)."""
    return open_core(tmp_path / "data", client, clock)


def test_heartbeat_reports_the_real_state(core, central, clock):
    checkin.check_in(core.store, clock, 7, 0.7, None)  # one action not yet delivered
    assert core.fleet.beat_once()
    report = central.reports[-1]
    assert report.app_version == "0.1.0" and report.config_version == 0
    assert report.outbox_depth == 1 and report.last_sync_at is None
    assert report.free_disk_bytes > 0 and report.terminal_time == NOON_LOCAL
    assert set(report.devices) == {"camera", "microphone", "speaker", "card_reader", "printer"}
    assert not report.locked and not report.in_use and report.content_version == ""
    core.settings.content_dir.mkdir(parents=True)
    (core.settings.content_dir / ("a" * 64 + ".video")).write_bytes(b"x")
    assert core.syncer.sync_now()
    core.person = object()
    core.fleet.beat_once()
    report = central.reports[-1]
    assert report.config_version == 1  # the configuration of the first answer is in force
    assert report.outbox_depth == 0 and report.last_sync_at == NOON_LOCAL
    assert report.in_use and len(report.content_version) == 16


def test_configuration_applies_at_once_and_survives_an_offline_restart(tmp_path, core, central, clock):
    central.config = TerminalConfig(version=5, idle_timeout_s=30, identity_max_attempts=5,
                                    languages=["en"], opening_hours="08:00-18:00",
                                    heartbeat_interval_s=10)
    core.fleet.beat_once()
    assert core.idle_timeout_s() == 30 and core.watcher.max_attempts == 5
    assert core.languages() == ["en"] and core.language == "en"
    assert core.fleet.interval_s == 10
    core.store.close()
    central.offline = True
    again = reopen(tmp_path, central, clock)
    assert not again.fleet.beat_once()  # offline: quietly nothing
    assert again.fleet.config_version == 5 and again.idle_timeout_s() == 30
    assert again.watcher.max_attempts == 5 and again.language == "en"
    assert again.service_state().open  # 12:00 is inside 08:00-18:00
    central.offline = False
    again.fleet.beat_once()
    assert central.reports[-1].config_version == 5
    again.store.close()


def test_idle_timeout_from_the_centre_closes_a_session(core, central, clock):
    central.config = TerminalConfig(version=2, idle_timeout_s=20)
    core.fleet.beat_once()
    core.person = object()
    core.note_activity()
    clock.mono += 21
    assert core.session_timed_out()


@pytest.mark.parametrize("hours,hhmm,inside", [
    ("22:00-06:00", "23:30", True), ("22:00-06:00", "00:00", True),
    ("22:00-06:00", "05:59", True), ("22:00-06:00", "06:00", False),
    ("22:00-06:00", "12:00", False), ("22:00-06:00", "22:00", True),
    ("08:00-18:00", "07:59", False), ("08:00-18:00", "17:59", True),
    ("08:00-18:00", "18:00", False), ("", "03:00", True), ("00:00-00:00", "03:00", True),
])
def test_opening_hours_pass_midnight(hours, hhmm, inside):
    assert within_hours(hours, dt.time.fromisoformat(hhmm)) is inside


def test_outside_opening_hours_nobody_is_identified(core, central, clock):
    central.config = TerminalConfig(version=3, opening_hours="22:00-06:00")
    core.fleet.beat_once()
    state = core.service_state()  # 12:00 local
    assert state.reason == "closed" and state.hours == "22:00-06:00"
    with pytest.raises(FlowError) as err:
        core.begin_identification()
    assert err.value.message_key == "service.error.closed"
    clock.now_value = dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.timezone.utc)  # 23:30 local
    assert core.service_state().open
    core.begin_identification()
    assert core.watcher.state.status == "waiting"


def test_lock_refuses_new_persons_and_survives_a_restart(tmp_path, core, central, clock):
    central.queue(1, "lock")
    core.fleet.beat_once()
    assert central.results[1].status == "done" and "暂停服务" in central.results[1].message
    for attempt in (core.begin_identification, lambda: core.claim_identity("110101199003070011")):
        with pytest.raises(FlowError) as err:
            attempt()
        assert err.value.message_key == "service.error.locked"
    # a face recognised just before the lock: no session opens
    core.watcher.state = IdentityState("identified", 7, 0.9)
    assert core.identity_state().status == "idle" and core.person is None
    core.fleet.beat_once()
    assert central.reports[-1].locked
    core.store.close()
    again = reopen(tmp_path, central, clock)
    assert again.service_state().reason == "locked"
    central.queue(2, "unlock")
    again.fleet.beat_once()
    assert central.results[2].message == "unlocked" and again.service_state().open
    again.begin_identification()
    assert again.watcher.state.status == "waiting"
    again.store.close()


def test_a_person_in_session_finishes_before_the_lock_shows(core, central):
    core._open_session(7, 0.9)
    central.queue(1, "lock")
    core.fleet.beat_once()
    assert "may finish" in central.results[1].message
    assert core.person is not None and core.in_use()
    core.end_session()
    with pytest.raises(FlowError):
        core.begin_identification()


def test_commands_run_once_even_when_the_answer_is_lost_and_the_app_restarts(tmp_path, core, central, clock):
    central.queue(1, "sync_now")
    central.results_offline = True  # the answer never arrives
    core.fleet.beat_once()
    assert central.roster_calls == 1 and not central.results
    assert [cid for cid, _ in fleet_store.unsent_results(core.store)] == [1]
    core.store.close()
    central.results_offline = False
    again = reopen(tmp_path, central, clock)
    again.fleet.beat_once()  # the heartbeat still carries command 1: it is only answered
    assert central.roster_calls == 1
    assert central.results[1].status == "done" and "outbox depth 0" in central.results[1].message
    assert fleet_store.unsent_results(again.store) == []
    again.fleet.beat_once()
    assert central.result_posts == [1]  # acknowledged: never sent again
    again.store.close()


def test_an_answer_the_server_already_has_counts_as_acknowledged(core, central):
    central.results[4] = CommandResult(status="done")
    fleet_store.record_received(core.store, 4, "lock", "running", NOON_LOCAL)
    fleet_store.record_result(core.store, 4, CommandResult(status="done", message="locked"))
    core.fleet.beat_once()  # 409 command_finished
    assert fleet_store.unsent_results(core.store) == [] and central.result_posts == [4]


def test_a_command_cut_short_by_a_crash_is_answered_failed_not_rerun(tmp_path, core, central, clock):
    fleet_store.record_received(core.store, 9, "sync_now", "running", NOON_LOCAL)
    core.store.close()
    central.queue(9, "sync_now")
    again = reopen(tmp_path, central, clock)
    again.fleet.beat_once()
    assert central.results[9].status == "failed" and "interrupted" in central.results[9].message
    assert central.roster_calls == 0
    again.store.close()


def test_restart_waits_for_the_person_and_answers_before_exiting(tmp_path, core, central, clock):
    restarts = []
    core.set_restart_handler(lambda: restarts.append(central.results.get(1)))
    core._open_session(7, 0.9)
    central.queue(1, "restart_app")
    core.fleet.beat_once()
    assert restarts == [] and 1 not in central.results  # someone is at the terminal
    core.end_session()
    core.fleet.beat_once()
    assert restarts and restarts[0].status == "done"  # answered before the app stops
    assert core.exit_code == RESTART_EXIT_CODE
    core.store.close()
    again = reopen(tmp_path, central, clock)
    again.set_restart_handler(lambda: restarts.append("again"))
    again.fleet.beat_once()
    assert len(restarts) == 1 and again.exit_code == 0
    again.store.close()


def test_restart_without_an_app_window_fails_clearly(core, central):
    central.queue(1, "restart_app")
    core.fleet.beat_once()
    assert central.results[1].status == "failed" and "window" in central.results[1].message


def test_screenshot_needs_a_screen(core, central):
    central.queue(1, "screenshot")
    core.fleet.beat_once()
    assert central.results[1].status == "failed" and "no screen" in central.results[1].message
    png = b"\x89PNG\r\n\x1a\nfake"
    core.set_screen_capture(lambda: png)
    central.queue(2, "screenshot")
    core.fleet.beat_once()
    result = central.results[2]
    assert result.attachment_type == "image/png" and base64.b64decode(result.attachment_b64) == png


def test_uploaded_logs_hold_the_recent_lines_and_no_secrets(core, central, clock):
    handler = logfile.install(core.settings.log_path)
    try:
        logging.getLogger("kiosk.test").info("person 110101199003070011 at the door")
        assert not core.check_staff_pin("999999")
        assert core.check_staff_pin(core.settings.staff_pin)
        checkin.check_in(core.store, clock, 7, 0.7, b"\xff\xd8SNAPSHOT-BYTES")
        core.syncer.sync_now()
        central.queue(1, "upload_logs")
        core.fleet.beat_once()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    result = central.results[1]
    text = base64.b64decode(result.attachment_b64).decode("utf-8")
    assert result.status == "done" and result.attachment_type == "text/plain"
    assert "staff mode opened" in text and "command 1: upload_logs" in text
    assert "110101********0011" in text and "110101199003070011" not in text
    assert core.settings.staff_pin not in text and "SNAPSHOT" not in text


def test_log_tail_keeps_whole_recent_lines(tmp_path):
    path = tmp_path / "kiosk.log"
    path.write_text("".join(f"line {i:06d}\n" for i in range(50_000)), "utf-8")
    text = logfile.tail(path, limit=1000)
    assert text.endswith("line 049999\n") and text.startswith("line ")
    assert len(text.encode()) <= 1000


def test_heartbeats_go_on_quietly_offline(core, central):
    central.offline = True
    assert not core.fleet.beat_once() and core.fleet.last_error == "CentralUnavailable"
    central.offline = False
    assert core.fleet.beat_once() and core.fleet.online


def test_without_central_the_agent_stays_idle(tmp_path, clock):
    c = open_core(tmp_path / "solo", None, clock)
    assert isinstance(c.fleet, FleetAgent) and not c.fleet.beat_once()
    assert c.service_state().open and c.languages() == ["zh_CN", "en"]
    c.store.close()


def test_the_next_person_starts_in_the_first_offered_language(core, central):
    central.config = TerminalConfig(version=2, languages=["zh_CN", "en"])
    core.fleet.beat_once()
    core.set_language("en")  # chosen at the idle screen, before identification
    core.end_session()  # e.g. the idle screen starting a new attempt: no session ended
    assert core.language == "en"
    core._open_session(7, 0.9)
    core.end_session()
    assert core.language == "zh_CN"


def test_kiosk_migrations_build_exactly_the_models(core):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kiosk.store.models import Base

    with core.store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_the_heartbeat_thread_reports_runs_commands_and_stops(core, central):
    import threading

    answered = threading.Event()
    send = central.command_result

    def command_result(command_id, result):
        ack = send(command_id, result)
        answered.set()
        return ack

    central.command_result = command_result
    central.offline = True  # the first rounds fail: the thread goes on
    central.queue(1, "lock")
    core.fleet.start()
    try:
        core.fleet.poke()
        central.offline = False
        core.fleet.poke()
        assert answered.wait(30), "the lock was never answered"
    finally:
        core.fleet.stop()
    assert central.results[1].status == "done" and core.service_state().reason == "locked"
    assert core.fleet._thread is None


def test_a_waiting_restart_goes_ahead_once_the_person_leaves(core, central):
    import threading

    from tests.e2e.waiting import wait_for

    seen = []
    restarted = threading.Event()
    core.set_restart_handler(lambda: (seen.append((core.in_use(), central.results.get(1))),
                                      restarted.set()))
    core._open_session(7, 0.9)
    central.queue(1, "restart_app")
    core.fleet.start()
    try:
        wait_for(lambda: fleet_store.waiting(core.store), 30, "the restart to wait")
        assert not restarted.is_set()
        core.end_session()  # no heartbeat needed: the waiting restart looks every second
        assert restarted.wait(30), "the restart never happened"
    finally:
        core.fleet.stop()
    (in_use, answer), = seen
    assert not in_use and answer.status == "done"


def test_the_newest_configuration_version_is_in_force_heartbeat_or_signed(core, central):
    """Configuration key idle_timeout_s: of the heartbeat's configuration and the centre's
    signed one (TUF content), the newer version stays in force (docs/CONTENT_UPDATES.md)."""
    central.config = TerminalConfig(version=5, idle_timeout_s=30)
    core.fleet.beat_once()
    assert core.idle_timeout_s() == 30
    central.config = TerminalConfig(version=4, idle_timeout_s=60)  # an answer from before
    core.fleet.beat_once()
    assert core.idle_timeout_s() == 30 and central.reports[-1].config_version == 5
    # The same version signed for the centre: the heartbeat's (it may hold this
    # terminal's own overrides) stays; a newer signed one is put in force at once.
    assert not core.fleet.apply_signed(TerminalConfig(version=5, idle_timeout_s=99))
    assert core.fleet.apply_signed(TerminalConfig(version=6, idle_timeout_s=45))
    assert core.idle_timeout_s() == 45 and fleet_store.load_config(core.store).version == 6
