"""A whole visit through the real UI: the Kivy app over the real KioskCore, a central
server process, real faces in front of the simulated camera, driven by touch only.

Run 1: staff enrol the person's face and voice (three utterances); a stranger is not
recognised; the person is identified (face, a blink when asked, the digits read aloud),
checks in, asks for leave and watches a lesson. Staff then approve the
leave in the console. Run 2: the person reports back (销假). Screenshots go to
test-output/screenshots/kiosk/journey-1/ and journey-2/.
"""
import json

import pytest

from tests.e2e.conftest import PERSON_CLIP, STRANGER
from tests.e2e.test_kiosk_journey import write_lesson_video
from tests.e2e.waiting import wait_for
from tests.staff_console import make_id_number
from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.realtime]
MASKED = "温*国"  # the console creates 温建国; the kiosk must never show more
ROSTER_LABEL = f"{MASKED}（…{make_id_number(7)[-4:]}）"  # staff tell people apart by ID tail


def _show(sim, identity, *numbers):
    """Steps that put these photos (only) in front of the simulated camera."""
    steps = [{"clear_dir": str(sim.camera)}]
    for n in numbers:
        steps.append({"copy": str(sim.kiosk_frame(identity, n)),
                      "to": str(sim.camera / f"{identity}_{n}.jpg")})
    return steps


def _show_person(sim):
    """Steps that put the live person (a real talking-head clip) in front of the camera."""
    return [{"clear_dir": str(sim.camera)},
            {"copy": str(sim.shared / PERSON_CLIP), "to": str(sim.camera / "person.mp4")}]


def _nobody(sim):
    return [{"clear_dir": str(sim.camera)}]


def _scenario(kiosk_settings, name, steps):
    settings = json.loads(kiosk_settings.model_dump_json(exclude_unset=True))
    return {"settings": settings, "screenshot_dir": str(SCREENSHOTS / name),
            "forbidden_texts": ["罪犯", "温建国"], "timeout": 400, "steps": steps}


def _pin(pin):
    return [{"tap": f"pin.{d}"} for d in pin] + [{"tap": "staff_pin.ok"}]


def first_visit(sim, pin):
    shot = lambda name, **kw: {"screenshot": name, **kw}  # noqa: E731
    return [
        {"wait_screen": "idle", "timeout": 60}, shot("idle"),
        {"tap": "idle.staff"}, {"wait_screen": "staff_pin"}, *_pin(pin),
        {"wait_screen": "staff_menu"}, {"tap": "staff_menu.enrol"},
        {"wait_text": MASKED, "timeout": 30}, shot("staff_roster"), {"tap": ROSTER_LABEL},
        {"wait_screen": "enrol_face"}, *_show_person(sim), {"sleep": 1.5},
        shot("enrol_face"), {"tap": "enrol_face.start"},
        {"wait_text": "人脸登记成功", "timeout": 60}, shot("enrol_face_done"),
        {"tap": "enrol_face.next"}, {"wait_screen": "enrol_voice"}, *_nobody(sim),
        {"tap": "enrol_voice.start"}, {"wait_text": "第 2 句", "timeout": 30},
        shot("enrol_voice_2"), {"tap": "enrol_voice.start"}, {"wait_text": "第 3 句", "timeout": 30},
        {"tap": "enrol_voice.start"}, {"wait_text": "声音登记成功", "timeout": 60},
        shot("enrol_voice_done"), {"tap": "enrol_voice.next"}, {"wait_screen": "enrol_done"},
        shot("enrol_done"), {"tap": "enrol_done.menu"}, {"tap": "staff_menu.exit"},
        {"wait_screen": "idle"},
        *_show(sim, STRANGER, 1), {"wait_text": "未能识别", "timeout": 60},
        shot("idle_not_recognised"), *_nobody(sim),
        # The stranger is offered the ID number pad; going back starts afresh.
        {"tap": "idle.id_number"}, {"wait_screen": "id_number"}, {"tap": "idpad.1"},
        {"tap": "idpad.1"}, shot("id_number"), {"tap": "nav.back"}, {"wait_screen": "idle"},
        *_show_person(sim), {"wait_screen": "verify", "timeout": 60}, shot("verify_liveness"),
        {"wait_text": "正在听，请现在读数字", "timeout": 60}, shot("verify_voice"),
        {"wait_screen": "menu", "timeout": 60},
        {"wait_text": MASKED}, shot("menu"), *_nobody(sim),
        {"tap": "menu.checkin"}, {"tap": "checkin.confirm"}, {"wait_text": "报到成功", "timeout": 20},
        shot("checkin_done"), {"tap": "nav.home"},
        {"tap": "menu.leave_dest"}, {"tap": "上海市"}, {"wait_screen": "leave_start"},
        *[{"tap": "leave_start.later"}] * 3, {"wait_text": "3天以后"},  # 3 days ahead
        {"tap": "leave_start.ok"},
        {"tap": "leave_end.later"}, {"tap": "leave_end.later"}, {"tap": "leave_end.ok"},
        {"wait_screen": "leave_reason"}, shot("leave_reason"), {"tap": "探亲"},
        {"wait_text": "共 3 天"}, shot("leave_confirm"), {"tap": "leave_confirm.submit"},
        {"wait_text": "申请已提交", "timeout": 20}, {"tap": "leave_confirm.status"},
        {"wait_text": "上海市", "timeout": 20}, shot("leave_status"), {"tap": "nav.back"},
        {"tap": "menu.lessons"}, {"wait_text": "法治教育第一课", "timeout": 20}, shot("lessons"),
        # learning time counts only while the person is in front of the camera
        *_show_person(sim), {"tap": "lessons.0"}, {"wait_screen": "lesson_player", "timeout": 60},
        {"sleep": 8}, shot("lesson_player"), *_nobody(sim), {"tap": "nav.back"}, {"wait_screen": "lessons"},
        {"tap": "nav.back"}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
        {"expect_no_text": MASKED},
    ]


def second_visit(sim):
    shot = lambda name, **kw: {"screenshot": name, **kw}  # noqa: E731
    return [
        {"wait_screen": "idle", "timeout": 60}, *_show_person(sim),
        {"wait_screen": "menu", "timeout": 90}, *_nobody(sim),
        {"tap": "menu.leave_status"}, {"wait_text": "已批准", "timeout": 30},
        {"wait_text": "同意，按时销假"}, shot("leave_status_approved"),
        {"tap": "leave_status.0.return"}, {"wait_screen": "leave_return"}, shot("leave_return"),
        {"tap": "leave_return.confirm"}, {"wait_text": "销假成功", "timeout": 20},
        shot("leave_return_done"), {"tap": "nav.home"}, {"tap": "menu.exit"},
        {"wait_screen": "idle"},
    ]


def test_visit_through_the_touch_screen(centre, sim, kiosk_settings, tmp_path):
    video = tmp_path / "lesson.mp4"
    write_lesson_video(video, seconds=12)
    lesson_id = centre.console.upload_lesson("法治教育第一课", video)
    centre.console.assign_lesson(lesson_id, centre.person_id)

    first = run_driver(_scenario(kiosk_settings, "journey-1", first_visit(sim, kiosk_settings.staff_pin)),
                       tmp_path / "run1", timeout=600)
    assert first["ok"] and first["exit_code"] == 0, describe_failure(first)

    checkins = wait_for(lambda: centre.console.checkins(), 30, "the check-in on the console")
    assert checkins[0]["person_id"] == centre.person_id
    (key,) = wait_for(lambda: centre.console.pending_leaves(), 30, "the leave on the console")
    centre.console.decide_leave(key, approve=True, note="同意，按时销假")

    second = run_driver(_scenario(kiosk_settings, "journey-2", second_visit(sim)),
                        tmp_path / "run2", timeout=600)
    assert second["ok"] and second["exit_code"] == 0, describe_failure(second)

    client = _terminal_client(kiosk_settings)
    wait_for(lambda: client.leaves(centre.person_id).leaves[0].status.value == "closed", 30,
             "the leave to be closed on the server")
    wait_for(lambda: client.lessons(centre.person_id).lessons[0].credited_seconds >= 1, 30,
             "the credited learning time on the server")


def _terminal_client(settings):
    """The central API as this kiosk sees it (its own credentials), to check the results."""
    from provisioning.credentials import load
    from server_api.client import CentralClient

    creds = load(settings.credentials_path)
    return CentralClient(creds.central_url, creds.terminal_id, creds.secret)
