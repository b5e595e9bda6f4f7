"""With the central server down, the kiosk keeps working; when it is back, everything
arrives exactly once, in order, with nobody doing anything. The person is enrolled
(once per session) and the enrolment delivered before each test starts (see conftest)."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select, update

from kiosk import outbox
from kiosk.store import open_store
from kiosk.store.models import Checkin, Outbox
from tests.e2e.kiosk_steps import identify, start_core
from tests.e2e.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.realtime]


@pytest.fixture
def centre(enrolled_centre):
    return enrolled_centre


@pytest.fixture
def kiosk_settings(enrolled_kiosk):
    return enrolled_kiosk


def test_outage_then_recovery_delivers_exactly_once_in_order(centre, sim, kiosk_settings):
    core = start_core(kiosk_settings)
    try:
        assert outbox.depth(core.store) == 0  # the enrolment was delivered
        assert identify(core, sim).status == "identified"

        centre.central.stop()  # the outage
        first = core.check_in()
        today = core.clock.today()
        leave_key = core.submit_leave("广东省", today + dt.timedelta(days=3),
                                      today + dt.timedelta(days=5), "leave.reason.medical")
        second = core.check_in()
        assert [l.status for l in core.leave_requests()] == ["queued"]  # shown from the store
        wait_for(lambda: core.sync_status().online is False, 10, "the kiosk to notice")
        assert outbox.depth(core.store) == 3

        centre.central.start()  # same port, same database
        wait_for(lambda: outbox.depth(core.store) == 0, 30, "the outbox to drain")
        rows = centre.console.checkins()
        assert len(rows) == 2
        assert rows[0]["time"] >= rows[1]["time"]  # newest first: both, in their order
        assert leave_key in centre.console.pending_leaves()

        # A retry after a lost answer: the same events again are stored once.
        with core.store.session() as s:
            s.execute(update(Outbox).values(delivered_at=None))
        core.syncer.poke()
        wait_for(lambda: outbox.depth(core.store) == 0, 30, "the resend to drain")
        assert len(centre.console.checkins()) == 2
        assert centre.console.pending_leaves().count(leave_key) == 1
        with core.store.session() as s:
            assert set(s.scalars(select(Checkin.key))) == {first.key, second.key}
    finally:
        core.stop()


CHECKIN_THEN_WAIT = textwrap.dedent("""
    import json, sys, time
    from kiosk.core import KioskCore
    from kiosk.settings import KioskSettings
    settings = KioskSettings.model_validate_json(sys.argv[1])
    core = KioskCore(settings)
    core.start()
    core.begin_identification()
    deadline = time.monotonic() + 90
    while core.identity_state().status != "identified":
        assert time.monotonic() < deadline, core.identity_state()
        time.sleep(0.05)
    receipt = core.check_in()
    print(json.dumps({"confirmed": receipt.key}), flush=True)
    time.sleep(600)
""")


def test_checkin_survives_sigkill_right_after_confirmation(centre, sim, kiosk_settings):
    centre.central.stop()  # so the record can only be on the kiosk's disk
    sim.show_person()

    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-c", CHECKIN_THEN_WAIT,
                             kiosk_settings.model_dump_json()], stdout=subprocess.PIPE,
                            stderr=open(sim.root / "kiosk.err", "w"), text=True,
                            env=dict(os.environ))
    try:
        line = proc.stdout.readline()
        proc.send_signal(signal.SIGKILL)  # the instant the screen would say "done"
        exited_by_itself = proc.wait() if not line else None
    finally:
        proc.kill()
        proc.wait()
    assert line, (exited_by_itself, (sim.root / "kiosk.err").read_text()[-3000:])
    key = json.loads(line)["confirmed"]

    store = open_store(kiosk_settings.database_path)
    with store.session() as s:
        assert s.get(Checkin, key) is not None
        pending = s.execute(select(Outbox.key, Outbox.kind).where(Outbox.delivered_at.is_(None))).all()
        assert [k for k, kind in pending if kind == "checkin"] == [key]
        # a failed identity attempt before the successful one may be queued too
        assert {kind for _, kind in pending} <= {"checkin", "verification_failure", "staff_call"}
    store.close()

    centre.central.start()
    core = start_core(kiosk_settings)  # the restarted kiosk delivers it by itself
    try:
        wait_for(lambda: outbox.depth(core.store) == 0, 30, "delivery after restart")
        assert len(centre.console.checkins()) == 1
    finally:
        core.stop()
