"""A supervised person's whole visit, on real code paths: the kiosk core with simulated
devices fed by a real live clip, real photos and a real voice, a central server process
on SQLite, the staff console over HTTP. Identity is face, then active liveness, then the
voice reading random digits (see tests/e2e/conftest.py for the simulated person).

The person is enrolled once per session in the kiosk's staff mode (`enrolled_template`,
with `kiosk_steps.enrol`'s checks); each test starts from its own copy of the enrolled
server and kiosk data. Enrolling and then identifying in the same running kiosk is what
tests/ui/test_ui_journey.py does through the touch screen."""
from __future__ import annotations

import datetime as dt

import pytest

from kiosk.clock import Clock
from kiosk.errors import FlowError
from tests.e2e.conftest import OTHER_VOICE, STRANGER
# enrol, identify, start_core, DONE, write_lesson_video: other tests import them from here
from tests.e2e.kiosk_steps import DONE, enrol, identify, start_core, write_lesson_video  # noqa: F401
from tests.e2e.waiting import wait_for
from tests.staff_console import ConsoleError

pytestmark = [pytest.mark.slow, pytest.mark.realtime]


class AdvancingClock(Clock):
    """The real clock whose monotonic time a test moves on (inactivity, no sleeping)."""

    def __init__(self) -> None:
        self.skipped_s = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self.skipped_s


@pytest.fixture
def centre(enrolled_centre):
    """Here the centre's person is already enrolled at the kiosk (see the docstring)."""
    return enrolled_centre


@pytest.fixture
def kiosk_settings(enrolled_kiosk):
    """The kiosk on which the person was enrolled (its own copy, for this test)."""
    return enrolled_kiosk


def test_visit_identify_checkin_leave_return_lesson(centre, sim, kiosk_settings, tmp_path):
    core = start_core(kiosk_settings)
    try:
        state = identify(core, sim)  # face, blink when asked, read the digits aloud
        assert state.status == "identified", state
        assert state.person_id == centre.person_id
        assert core.person.id == centre.person_id and "*" in core.person.display_name

        receipt = core.check_in()
        rows = wait_for(lambda: centre.console.checkins(), 20, "the check-in on the console")
        assert rows[0]["person_id"] == centre.person_id and rows[0]["snapshot"]
        assert rows[0]["score"] > 0

        today = core.clock.today()
        with pytest.raises(FlowError) as err:
            core.submit_leave("上海市", today + dt.timedelta(days=3), today + dt.timedelta(days=1),
                              "leave.reason.family")
        assert err.value.message_key == "leave.error.end_before_start"
        # leave_apply_days_ahead (Art 27): 3 days by default, refused before it is filed
        with pytest.raises(FlowError) as err:
            core.submit_leave("上海市", today + dt.timedelta(days=2),
                              today + dt.timedelta(days=4), "leave.reason.family")
        assert err.value.message_key == "leave_rules.broken.apply_ahead"
        key = core.submit_leave("上海市", today + dt.timedelta(days=3),
                                today + dt.timedelta(days=5), "leave.reason.family")
        wait_for(lambda: key in centre.console.pending_leaves(), 20, "the leave on the console")
        assert [l.status for l in core.leave_requests()] == ["pending"]
        centre.console.decide_leave(key, approve=True, note="同意，按时销假")
        (item,) = core.leave_requests()
        assert item.status == "approved" and item.can_return and item.status_text == "已批准"
        core.report_return(key)
        wait_for(lambda: core.client.leaves(centre.person_id).leaves[0].status.value == "closed",
                 20, "the leave to be closed on the server")

        video = tmp_path / "lesson.mp4"
        write_lesson_video(video)
        lesson_id = centre.console.upload_lesson("法治教育第一课", video)
        centre.console.assign_lesson(lesson_id, centre.person_id)
        (lesson,) = core.lessons()
        assert lesson.title == "法治教育第一课"
        seen = []
        path = core.prepare_lesson(lesson.id, seen.append)
        assert path.read_bytes() == video.read_bytes() and seen[-1] == 1.0
        core.record_lesson_progress(lesson.id, 2.5, 2.5)
        wait_for(lambda: core.client.lessons(centre.person_id).lessons[0].watched_seconds >= 2.5,
                 20, "watched time on the server")
        assert receipt.record_no
    finally:
        core.stop()


def test_unenrolled_face_is_not_identified(centre, sim, kiosk_settings):
    core = start_core(kiosk_settings)
    try:
        for photo in (1, 2, 3):
            state = identify(core, sim, STRANGER, photo)
            assert state.status in ("not_recognised", "staff_called"), photo
            assert state.hint_key == "idle.error.not_recognised"
            assert core.person is None
            core.cancel_identification()
    finally:
        core.stop()


def test_inactivity_returns_to_idle_and_clears_the_person(centre, sim, kiosk_settings):
    clock = AdvancingClock()
    core = start_core(kiosk_settings, clock)
    try:
        assert core.check_staff_pin(core.settings.staff_pin) and core.staff_mode
        assert identify(core, sim).status == "identified"
        assert core.person is not None and not core.session_timed_out()
        assert not core.staff_mode  # identifying a person closed staff mode
        clock.skipped_s = core.idle_timeout_s() - 2  # the centre's timeout (90 s by default)
        assert not core.session_timed_out()
        clock.skipped_s += 3
        assert core.session_timed_out()
        core.end_session()
        assert core.person is None
        with pytest.raises(FlowError):
            core.check_in()
    finally:
        core.stop()


def test_corrupt_lesson_is_refused_with_a_message(centre, sim, kiosk_settings, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(ConsoleError) as err:
        centre.console.upload_lesson("坏文件", bad)
    assert "视频" in err.value.message  # told in Chinese that it is not a usable video
    assert "坏文件" not in centre.console.get("/console/lessons").text  # nothing half-written


def test_camera_that_disappears_is_reported_not_crashed(centre, sim, kiosk_settings):
    import shutil

    core = start_core(kiosk_settings)
    try:
        core.begin_identification()
        shutil.rmtree(sim.camera)
        state = wait_for(lambda: core.identity_state().status == "camera_unavailable"
                         and core.identity_state(), 10, "the camera to be reported missing")
        assert core.tr(state.message_key) == "摄像头暂时无法使用，请呼叫工作人员"
        assert core.device_status()["camera"].state != "ok"
        sim.camera.mkdir()
        sim.show(STRANGER, 1)
        wait_for(lambda: core.identity_state().status != "camera_unavailable", 10,
                 "the camera to come back")
    finally:
        core.stop()


def test_claimed_identity_by_number_or_card_is_checked_one_to_one(centre, sim, kiosk_settings):
    import json as _json

    from tests.staff_console import make_id_number

    core = start_core(kiosk_settings)
    try:
        for bad, key in (("12345", "identity.error.id_number_invalid"),
                         (make_id_number(8), "identity.error.id_number_unknown")):
            with pytest.raises(FlowError) as err:
                core.claim_identity(bad)
            assert err.value.message_key == key
        # The right number, but a stand-in's face: refused.
        core.claim_identity(make_id_number(7))
        sim.show(STRANGER, 2)
        state = wait_for(lambda: core.identity_state().status in DONE
                         and core.identity_state(), 30, "a 1:1 result")
        assert state.status == "not_recognised" and core.person is None
        assert state.hint_key == "idle.error.not_recognised_claimed"
        # The card on the reader and the person's own face: accepted.
        card_dir = sim.root / "card"
        card_dir.mkdir(exist_ok=True)
        (card_dir / "card.json").write_text(_json.dumps({"name": "温建国", "id_number":
                                                         make_id_number(7)}), encoding="utf-8")
        core.cancel_identification()
        assert core.poll_id_card()
        sim.show_person()
        state = wait_for(lambda: core.identity_state().status in DONE
                         and core.identity_state(), 60, "identification by card")
        assert state.status == "identified" and state.person_id == centre.person_id
    finally:
        core.stop()


def test_stand_in_is_recorded_and_staff_called_after_three_attempts(centre, sim, kiosk_settings):
    from kiosk import outbox

    core = start_core(kiosk_settings)
    try:
        core.begin_identification()
        sim.show(STRANGER, 1)
        state = wait_for(lambda: core.identity_state().status == "staff_called"
                         and core.identity_state(), 60, "the third failed attempt")
        assert core.person is None
        assert core.tr(state.message_key).startswith("多次未能识别")
        kinds = [item.kind for item in outbox.pending(core.store)] or ["delivered"]
        failures = wait_for(lambda: len(centre.console.verifications()) >= 3
                            and centre.console.verifications(), 30, "failures on the console")
        assert [f["reason"] for f in failures] == ["face_mismatch"] * 3, kinds
        assert [c["screen"] for c in centre.console.open_staff_calls()] == ["identify"]
    finally:
        core.stop()


def test_photo_of_the_person_fails_liveness(centre, sim, kiosk_settings):
    """The enrolled person's face on a held-up picture matches, but cannot blink on request."""
    core = start_core(kiosk_settings)
    try:
        core.begin_identification()
        sim.show_photo_of_person()
        state = wait_for(lambda: core.identity_state().status in DONE and core.identity_state(),
                         60, "a liveness verdict")
        assert state.status == "not_recognised" and core.person is None, state
        assert state.hint_key.startswith("liveness.failed."), state
        failures = wait_for(lambda: centre.console.verifications(), 30, "the failure on the console")
        assert failures[0]["reason"] == "liveness_failed"
    finally:
        core.stop()


def test_the_right_face_with_someone_elses_voice_is_refused(centre, sim, kiosk_settings):
    """A stand-in speaking for the person (here: another speaker's recordings) is caught by
    the voice even though the face and the liveness pass; no check-in can be made."""
    core = start_core(kiosk_settings)
    try:
        sim.speak_as(OTHER_VOICE)
        state = identify(core, sim, final=("identified", "not_recognised", "staff_called"))
        assert state.status in ("not_recognised", "staff_called") and core.person is None, state
        assert state.hint_key == "voice.mismatch", state
        failures = wait_for(lambda: centre.console.verifications(), 30, "the failure on the console")
        assert failures[0]["reason"] == "voice_mismatch"
        with pytest.raises(FlowError):
            core.check_in()
    finally:
        core.stop()
