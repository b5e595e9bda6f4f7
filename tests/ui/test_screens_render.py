"""Render every screen of the real Kivy app under Xvfb, driven by touch, with screenshots.

Two cores: the real `kiosk.core.KioskCore` with throwaway settings (no central server:
only the screens reachable without one), and `fake_core.FakeCore`, which has the same
interface and reaches every screen. Screenshots land in test-output/screenshots/kiosk/
(real core) and test-output/screenshots/kiosk/fake/ (fake core); look at them.
"""
import json
from pathlib import Path

import pytest

from server_api.names import id_check_char
from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver

pytestmark = [pytest.mark.ui, pytest.mark.slow]

KNOWN_FACE = "Wen_Jiabao/1.jpg"
UNKNOWN_FACE = "Angelina_Jolie/1.jpg"
FORBIDDEN = ["罪犯"]
DIGITS = "3 8 1 5 2 7"  # what FakeCore's voice stage asks to read


def _id_number(serial: int) -> str:
    first17 = f"11010119800101{serial:03d}"
    return first17 + id_check_char(first17)


WEN_ID, LI_ID = _id_number(7), _id_number(8)


def bad_number(number: str) -> str:
    """The same number with a wrong check character (a typing mistake)."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def grouped(number: str) -> str:
    return f"{number[:6]} {number[6:14]} {number[14:]}"


def _type_number(number: str) -> list:
    return [{"tap": f"idpad.{c}"} for c in number]


def _shot(name, **kw):
    return {"screenshot": name, **kw}


def fake_walkthrough(cam: Path, faces: Path) -> list:
    """Every screen, reached by touch, with a screenshot of each (FakeCore)."""
    known, unknown = str(faces / KNOWN_FACE), str(faces / UNKNOWN_FACE)
    identify = [{"clear_dir": str(cam)}, {"copy": known, "to": str(cam / "wen.jpg")},
                {"wait_screen": "menu", "timeout": 15}]
    return [
        {"wait_screen": "idle"}, {"wait_text": "摄像头暂时无法使用"}, _shot("idle_camera_unavailable"),
        {"copy": unknown, "to": str(cam / "stranger.jpg")}, {"wait_text": "未能识别"},
        _shot("idle_not_recognised"),
        {"tap": "idle.call_staff"}, {"wait_text": "已呼叫工作人员"}, _shot("call_staff"),
        {"tap": "call_staff.close"}, {"wait_gone": "已呼叫工作人员"},
        {"clear_dir": str(cam)}, {"tap": "idle.id_number"}, {"wait_screen": "id_number"},
        _shot("id_number"), {"tap": "nav.back"}, {"wait_screen": "idle"},  # restarts
        *identify, _shot("menu"),
        {"tap": "menu.checkin"}, {"wait_screen": "checkin"}, _shot("checkin"),
        {"tap": "checkin.confirm"}, {"wait_text": "报到成功"}, {"wait_text": "BD20260001"},
        _shot("checkin_done"), {"tap": "nav.home"}, {"wait_screen": "menu"},
        {"tap": "menu.leave_dest"}, {"wait_screen": "leave_dest"}, _shot("leave_destination"),
        {"tap": "leave_dest.next"}, {"wait_text": "广东省"}, _shot("leave_destination_page2"),
        {"tap": "广东省"}, {"wait_screen": "leave_start"}, _shot("leave_start"),
        {"tap": "leave_start.later"}, {"tap": "leave_start.later"}, {"tap": "leave_start.later"},
        {"wait_text": "3天以后"},  # leave_apply_days_ahead: 3 by default
        {"tap": "leave_start.ok"}, {"wait_screen": "leave_end"},
        {"tap": "leave_end.later"}, {"tap": "leave_end.later"}, {"tap": "leave_end.later"},
        _shot("leave_end"), {"tap": "leave_end.ok"}, {"wait_screen": "leave_reason"},
        _shot("leave_reason"), {"tap": "就医"}, {"wait_screen": "leave_confirm"},
        {"wait_text": "共 4 天"}, _shot("leave_confirm"),
        {"tap": "leave_confirm.submit"}, {"wait_text": "申请已提交"}, _shot("leave_submitted"),
        {"tap": "leave_confirm.status"}, {"wait_screen": "leave_status"}, _shot("leave_status"),
        *[{"tap": "leave_status.next"}] * 3, {"wait_text": "请补充就医证明"},
        _shot("leave_status_page4"),
        *[{"tap": "leave_status.prev"}] * 2, {"tap": "leave_status.1.return"},
        {"wait_screen": "leave_return"}, _shot("leave_return"),
        {"tap": "leave_return.confirm"}, {"wait_text": "销假成功"}, _shot("leave_return_done"),
        {"tap": "nav.home"}, {"wait_screen": "menu"},
        {"tap": "topbar.language"}, {"wait_text": "Check in"}, _shot("menu_en"),
        {"tap": "menu.leave_dest"}, {"wait_text": "Beijing"}, _shot("leave_destination_en"),
        {"tap": "nav.back"}, {"tap": "menu.checkin"}, _shot("checkin_en"), {"tap": "nav.back"},
        {"tap": "menu.leave_status"}, {"wait_screen": "leave_status"},
        {"tap": "leave_status.next"}, {"wait_text": "Returned"}, _shot("leave_status_en"),
        {"tap": "nav.back"}, {"tap": "topbar.language"}, {"wait_text": "报到"},
        {"tap": "menu.lessons"}, {"wait_screen": "lessons"}, _shot("lessons"),
        {"tap": "lessons.0"}, {"wait_screen": "lesson_download"}, _shot("lesson_download", settle=0.6),
        {"wait_screen": "lesson_player"}, {"sleep": 6.5}, _shot("lesson_player"),
        {"tap": "player.pause"}, {"wait_text": "继续播放"}, {"tap": "nav.back"},
        {"wait_screen": "lessons"}, {"tap": "lessons.next"}, {"tap": "lessons.3"}, {"wait_text": "课程文件已损坏"},
        _shot("lesson_download_error"), {"tap": "nav.back"}, {"wait_screen": "lessons"},
        {"tap": "nav.back"}, {"wait_screen": "menu"},
        {"clear_dir": str(cam)}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
        {"expect_no_text": "温*宝"}, _shot("idle_waiting"),
        {"tap": "idle.staff"}, {"wait_screen": "staff_pin"},
        {"tap": "pin.1"}, {"tap": "pin.2"}, {"tap": "staff_pin.ok"}, {"wait_text": "密码不正确"},
        {"tap": "pin.2"}, {"tap": "pin.4"}, {"tap": "pin.6"}, {"tap": "pin.8"},
        _shot("staff_pin"), {"tap": "staff_pin.ok"}, {"wait_screen": "staff_menu"},
        _shot("staff_menu"), {"tap": "staff_menu.enrol"}, {"wait_screen": "staff_roster"},
        _shot("staff_roster"), {"tap": "roster.0"}, {"wait_screen": "enrol_face"},
        {"tap": "enrol_face.start"}, {"wait_text": "没有拍到清晰的人脸"}, _shot("enrol_face_error"),
        {"copy": known, "to": str(cam / "wen.jpg")}, {"sleep": 0.5}, _shot("enrol_face"),
        {"tap": "enrol_face.start"}, {"wait_text": "正在拍照"}, _shot("enrol_face_capturing", settle=0.3),
        {"wait_text": "人脸登记成功", "timeout": 15}, _shot("enrol_face_done"),
        {"tap": "enrol_face.next"}, {"wait_screen": "enrol_voice"},
        {"wait_text": "第 1 句，共 3 句"}, {"wait_text": "4 7 1 9 0 3 8 2"}, _shot("enrol_voice_1of3"),
        {"tap": "enrol_voice.start"}, _shot("enrol_voice_recording", settle=0.8),
        {"wait_text": "第 1 句已录好"}, {"wait_text": "第 2 句，共 3 句"}, _shot("enrol_voice_2of3"),
        {"tap": "enrol_voice.start"}, {"wait_text": "声音太小"}, {"wait_text": "6 2 9 5 1 7 0 4"},
        {"wait_text": "再试一次"}, _shot("enrol_voice_2of3_too_quiet"),  # the same utterance again
        {"tap": "enrol_voice.start"}, {"wait_text": "第 3 句，共 3 句"}, _shot("enrol_voice_3of3"),
        {"tap": "enrol_voice.start"}, {"wait_text": "声音登记成功", "timeout": 15},
        _shot("enrol_voice_done"),
        {"tap": "enrol_voice.next"}, {"wait_screen": "enrol_done"}, _shot("enrol_done"),
        {"tap": "enrol_done.menu"}, {"wait_screen": "staff_menu"},
        {"clear_dir": str(cam)}, {"tap": "staff_menu.exit"}, {"wait_screen": "idle"},
    ]


def english_tour(cam: Path, faces: Path) -> list:
    """The same screens in English, where the texts are longest (FakeCore)."""
    known, unknown = str(faces / KNOWN_FACE), str(faces / UNKNOWN_FACE)
    return [
        {"wait_screen": "idle"}, {"copy": unknown, "to": str(cam / "stranger.jpg")},
        {"wait_text": "could not"}, _shot("idle_not_recognised"),
        {"tap": "topbar.call_staff"}, {"wait_text": "Staff have been called"}, _shot("call_staff"),
        {"tap": "call_staff.close"}, {"clear_dir": str(cam)},
        {"copy": known, "to": str(cam / "far.jpg")}, {"wait_text": "come a little closer"},
        _shot("idle_hint"), {"clear_dir": str(cam)},
        {"tap": "idle.id_number"}, {"wait_screen": "id_number"}, *_type_number(bad_number(WEN_ID)),
        {"tap": "id_number.ok"}, {"wait_text": "not valid"}, _shot("id_number_invalid"),
        {"tap": "nav.back"}, {"wait_screen": "idle"},
        {"copy": known, "to": str(cam / "wen.jpg")}, {"wait_screen": "verify", "timeout": 15},
        {"wait_text": "Step 2 of 3"}, _shot("verify_liveness"),
        {"wait_text": DIGITS}, {"wait_text": "Please read these digits aloud"}, _shot("verify_voice"),
        {"wait_text": "Listening"}, _shot("verify_listening", settle=0.8),
        {"wait_screen": "menu", "timeout": 15},
        {"clear_dir": str(cam)}, {"tap": "menu.checkin"}, {"tap": "checkin.confirm"},
        {"wait_text": "Check-in done"}, _shot("checkin_done"), {"tap": "nav.home"},
        {"tap": "menu.leave_dest"}, {"tap": "leave_dest.4"}, {"wait_screen": "leave_start"},
        *[{"tap": "leave_start.later"}] * 3, _shot("leave_start"), {"tap": "leave_start.ok"},
        {"tap": "leave_end.ok"}, {"wait_screen": "leave_reason"}, _shot("leave_reason"),
        {"tap": "leave_reason.5"}, {"wait_screen": "leave_confirm"}, _shot("leave_confirm"),
        {"tap": "leave_confirm.submit"}, {"wait_text": "Request sent"}, _shot("leave_submitted"),
        {"tap": "leave_confirm.status"}, {"wait_screen": "leave_status"}, _shot("leave_status"),
        {"tap": "leave_status.next"}, {"wait_text": "Approved"}, {"tap": "leave_status.1.return"}, {"wait_screen": "leave_return"}, _shot("leave_return"),
        {"tap": "nav.back"}, {"tap": "nav.back"}, {"tap": "menu.lessons"},
        {"wait_text": "min watched"}, _shot("lessons"), {"tap": "lessons.0"},
        {"wait_screen": "lesson_player"}, {"sleep": 1.5}, _shot("lesson_player"),
        {"tap": "nav.back"}, {"tap": "nav.back"}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
        {"tap": "idle.staff"}, *[{"tap": f"pin.{d}"} for d in "2468"], _shot("staff_pin"),
        {"tap": "staff_pin.ok"}, {"wait_screen": "staff_menu"}, _shot("staff_menu"),
        {"tap": "staff_menu.enrol"}, {"tap": "roster.0"}, {"wait_screen": "enrol_face"},
        {"copy": known, "to": str(cam / "wen.jpg")}, _shot("enrol_face"),
        {"tap": "enrol_face.start"}, {"wait_text": "Face enrolled", "timeout": 15},
        {"tap": "enrol_face.next"}, {"wait_text": "Utterance 1 of 3"}, _shot("enrol_voice_1of3"),
        {"tap": "enrol_voice.start"}, {"wait_text": "Utterance 2 of 3"}, _shot("enrol_voice_2of3"),
        {"tap": "enrol_voice.start"}, {"wait_text": "Utterance 3 of 3"},
        {"tap": "enrol_voice.start"}, {"wait_text": "Voice enrolled", "timeout": 15},
        _shot("enrol_voice_done"), {"tap": "enrol_voice.next"},
        _shot("enrol_done"), {"clear_dir": str(cam)}, {"tap": "enrol_done.menu"},
        {"tap": "staff_menu.exit"}, {"wait_screen": "idle"},
    ]


def fake_scenario(tmp_path: Path, steps: list, shots: Path, timeout_seconds=120, **settings) -> dict:
    """FakeCore settings; `settings` override (max_attempts, identity_timing...)."""
    people = {"wen": {"id": 1, "display_name": "温*宝", "case_type": "probation", "id_number": WEN_ID},
              "li": {"id": 2, "display_name": "李*", "case_type": "parole", "id_number": LI_ID,
                     "fail": "voice"}}
    return {
        "core_factory": "tests.ui.fake_core:FakeCore",
        "settings_factory": None,
        "settings": {"camera_dir": str(tmp_path / "cam"), "work_dir": str(tmp_path / "work"),
                     "log_file": str(tmp_path / "calls.jsonl"), "timeout_seconds": timeout_seconds,
                     "people": people, "hints": {"far": "face.hint.closer"},
                     "max_attempts": 9, **settings},
        "screenshot_dir": str(shots),
        "forbidden_texts": FORBIDDEN,
        "steps": steps,
    }


def _calls(tmp_path):
    lines = (tmp_path / "calls.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture
def faces(shared_data):
    """The real face images of ../shared/data (the suite's `shared_data` fixture)."""
    return shared_data / "faces"


def test_every_screen_with_fake_core(tmp_path, faces):
    shots = SCREENSHOTS / "fake"
    scenario = fake_scenario(tmp_path, fake_walkthrough(tmp_path / "cam", faces), shots,
                             voice_sample_errors=[None, "voice.too_quiet"])
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    names = [c["call"] for c in calls]
    assert "check_in" in names and "report_return" in names
    assert [c["clips"] for c in calls if c["call"] == "enrol_voice"] == [3]
    assert names.count("record_voice_sample") == 3  # the too-quiet clip was not kept
    assert any(c["call"] == "call_staff" and c["screen"] == "idle" for c in calls)
    submitted = next(c for c in calls if c["call"] == "submit_leave")
    assert submitted["destination"] == "广东省" and submitted["reason"] == "medical"
    # learning time is credited by the face checks (docs/LESSON_CREDIT.md): earlier total
    # + this viewing, the identified person being in front of the camera all along
    progress = [c for c in calls if c["call"] == "finish_lesson_viewing"]
    assert progress and progress[0]["credited"] >= 600 + 4
    assert len(list(shots.glob("*.png"))) >= 35


def test_every_screen_in_english_with_fake_core(tmp_path, faces):
    scenario = fake_scenario(tmp_path, english_tour(tmp_path / "cam", faces),
                             SCREENSHOTS / "fake-en", identity_timing={"step": 1.5, "read": 1.5})
    result = run_driver({**scenario, "language": "en"}, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)


def identity_check(cam: Path, faces: Path) -> list:
    """Hint, failures, staff called, ID number (wrong, then right: 1:1), liveness and
    voice to the menu, then a voice failure back to idle and a cancelled check."""
    known, unknown = str(faces / KNOWN_FACE), str(faces / UNKNOWN_FACE)
    wen = grouped(WEN_ID)
    return [
        {"wait_screen": "idle"}, {"wait_text": "也可以把身份证放在读卡区"},
        {"copy": known, "to": str(cam / "far.jpg")},
        {"wait_text": "请靠近一点"}, _shot("idle_hint"), {"clear_dir": str(cam)},
        {"copy": unknown, "to": str(cam / "stranger.jpg")}, {"wait_text": "未能识别您的身份"},
        {"expect_no_text": "也可以"},  # the card line made room for the buttons
        _shot("idle_not_recognised"),
        {"tap": "idle.retry"}, {"wait_text": "请站到屏幕前"},  # the core retries by itself
        {"wait_text": "已为您呼叫工作人员", "timeout": 15}, _shot("idle_staff_called"),
        {"tap": "idle.retry"}, {"wait_gone": "已为您呼叫工作人员"},  # a new round
        {"tap": "idle.id_number"}, {"wait_screen": "id_number"}, _shot("id_number_empty"),
        *_type_number(bad_number(WEN_ID)), {"tap": "id_number.ok"},
        {"wait_text": "身份证号码不正确"}, {"wait_text": grouped(bad_number(WEN_ID))},
        _shot("id_number_invalid"),
        {"tap": "idpad.delete"}, {"tap": f"idpad.{WEN_ID[-1]}"}, {"wait_text": wen},
        {"tap": "id_number.ok"}, {"wait_screen": "idle"}, {"wait_text": "正在核验 温*宝"},
        _shot("idle_claimed"),
        {"wait_text": "人脸与身份证登记的不一致", "timeout": 15}, _shot("idle_claimed_mismatch"),
        {"clear_dir": str(cam)}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_screen": "verify", "timeout": 15}, {"wait_text": "温*宝，请按提示完成核验"},
        {"wait_text": "第 2 步，共 3 步"}, _shot("verify_liveness"),
        {"wait_text": DIGITS}, {"wait_text": "请大声读出下面的数字"}, _shot("verify_voice"),
        {"wait_text": "正在听"}, _shot("verify_listening", settle=1.2),
        {"wait_screen": "menu", "timeout": 15}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
        {"clear_dir": str(cam)}, {"copy": known, "to": str(cam / "li.jpg")},
        {"wait_screen": "verify", "timeout": 15}, {"wait_text": DIGITS, "timeout": 15},
        {"wait_screen": "idle", "timeout": 15}, {"wait_text": "声音核验未通过"},
        _shot("idle_after_voice_failure"),
        {"wait_screen": "verify", "timeout": 15}, {"tap": "verify.cancel"},
        {"wait_screen": "idle"}, {"clear_dir": str(cam)}, {"sleep": 0.5},
    ]


def test_identity_check_screens_with_fake_core(tmp_path, faces):
    timing = {"hint": 1.5, "hold": 0.5, "step": 2.0, "read": 2.0, "record": 2.5, "retry_after": 3.0}
    (tmp_path / "cam").mkdir()  # a camera with nobody in front of it
    scenario = fake_scenario(tmp_path, identity_check(tmp_path / "cam", faces),
                             SCREENSHOTS / "fake-identity", max_attempts=2, identity_timing=timing)
    result = run_driver(scenario, tmp_path, timeout=300)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    names = [c["call"] for c in calls]
    assert [c["person"] for c in calls if c["call"] in ("claim_identity", "identified")] == [1, 1]
    failed = [c["key"] for c in calls if c["call"] == "identity_failed"]
    assert failed[:4] == ["idle.error.not_recognised"] * 2 + ["idle.error.not_recognised_claimed",
                                                              "voice.mismatch"]
    # back on idle after li's voice failure: nothing restarted until the cancel
    after = names[names.index("identified"):]
    assert after.count("begin_identification") == 2  # menu exit, then the cancel
    assert after.index("cancel_identification") < len(after) - 1 - after[::-1].index("begin_identification")
    spoken = [c["key"] for c in calls if c["call"] == "speak"]
    assert "voice.mismatch" in spoken and "idle.error.staff_called" in spoken
    assert not [k for k in spoken if k.startswith(("liveness.", "verify.voice"))]  # the core's


def test_inactivity_timeout_clears_the_person(tmp_path, faces):
    cam = tmp_path / "cam"
    steps = [{"wait_screen": "idle"}, {"copy": str(faces / KNOWN_FACE), "to": str(cam / "wen.jpg")},
             {"wait_screen": "menu", "timeout": 15}, {"wait_text": "温*宝"}, {"clear_dir": str(cam)},
             {"tap": "menu.checkin"}, {"wait_screen": "checkin"},
             {"wait_screen": "idle", "timeout": 10}, {"expect_no_text": "温*宝"}]
    scenario = fake_scenario(tmp_path, steps, tmp_path / "shots", timeout_seconds=2)
    result = run_driver(scenario, tmp_path)
    assert result["ok"], describe_failure(result)
    names = [c["call"] for c in _calls(tmp_path)]
    assert "end_session" in names[names.index("identified"):]


def out_of_service_tour(tmp_path: Path) -> list:
    """Locked by staff, then outside opening hours, then back in service, by itself."""
    states, service = tmp_path / "states", tmp_path / "service"
    states.mkdir()
    (states / "locked.json").write_text(json.dumps({"reason": "locked"}), "utf-8")
    (states / "closed.json").write_text(json.dumps({"reason": "closed", "hours": "22:00-06:00"}),
                                        "utf-8")
    state = str(service / "state.json")
    return [
        {"wait_screen": "idle"}, {"copy": str(states / "locked.json"), "to": state},
        {"wait_screen": "out_of_service"}, {"wait_text": "工作人员已暂停本终端的服务"},
        _shot("out_of_service_locked"),
        {"tap": "topbar.language"}, {"wait_text": "Staff have paused this terminal"},
        _shot("out_of_service_locked_en"), {"tap": "topbar.language"},
        {"copy": str(states / "closed.json"), "to": state}, {"wait_text": "每天 22:00-06:00"},
        _shot("out_of_service_closed"),
        {"tap": "out_of_service.call_staff"}, {"wait_text": "已呼叫工作人员"},
        {"tap": "call_staff.close"}, {"wait_gone": "已呼叫工作人员"},
        {"tap": "out_of_service.staff"}, {"wait_screen": "staff_pin"},  # staff can still work
        {"tap": "nav.back"}, {"wait_screen": "out_of_service"},
        {"clear_dir": str(service)}, {"wait_screen": "idle"}, {"expect_no_text": "暂停服务"},
    ]


def test_out_of_service_screen_and_screen_capture_with_fake_core(tmp_path):
    import cv2

    capture = tmp_path / "capture.png"
    (tmp_path / "cam").mkdir()
    scenario = fake_scenario(tmp_path, out_of_service_tour(tmp_path), SCREENSHOTS / "fake-service",
                             service_file=str(tmp_path / "service" / "state.json"),
                             capture_to=str(capture))
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    assert any(c["call"] == "call_staff" and c["screen"] == "out_of_service" for c in calls)
    assert "cancel_identification" in [c["call"] for c in calls]  # nobody identified while closed
    picture = cv2.imread(str(capture))  # taken from another thread, as the fleet command does
    assert picture is not None and picture.shape[:2] == (800, 1280) and picture.std() > 5


def real_core_scenario(tmp_path: Path) -> dict:
    """The real core, no central server: idle, call staff, language, staff PIN and menu."""
    simulate = tmp_path / "simulate"
    for part in ("camera", "microphone", "speaker"):
        (simulate / part).mkdir(parents=True)
    return {
        "settings": {"data_dir": str(tmp_path / "data"), "simulate_dir": str(simulate),
                     "staff_pin": "135790", "idle_timeout_s": 120},
        "screenshot_dir": str(SCREENSHOTS),
        "forbidden_texts": FORBIDDEN,
        "steps": [
            {"wait_screen": "idle", "timeout": 30}, {"sleep": 1.0}, _shot("idle"),
            {"tap": "topbar.call_staff"}, {"wait_text": "已呼叫工作人员"}, _shot("call_staff"),
            {"tap": "call_staff.close"},
            {"tap": "topbar.language"}, {"wait_text": "Call staff"}, _shot("idle_en"),
            {"tap": "topbar.language"}, {"wait_text": "呼叫工作人员"},
            {"tap": "idle.staff"}, {"wait_screen": "staff_pin"},
            {"tap": "pin.9"}, {"tap": "staff_pin.ok"}, {"wait_text": "密码不正确"}, _shot("staff_pin_wrong"),
            *[{"tap": f"pin.{d}"} for d in "135790"], {"tap": "staff_pin.ok"},
            {"wait_screen": "staff_menu"}, _shot("staff_menu"),
            {"tap": "staff_menu.enrol"}, {"wait_screen": "staff_roster"}, _shot("staff_roster"),
            {"tap": "nav.back"}, {"wait_screen": "staff_menu"},
            {"tap": "staff_menu.exit"}, {"wait_screen": "idle"},
        ],
    }


def test_screens_with_real_core(tmp_path):
    pytest.importorskip("kiosk.core", reason="waiting for kiosk.core")
    result = run_driver(real_core_scenario(tmp_path), tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
