"""The kiosk refuses a leave request that breaks a leave rule (Art 27), in Chinese, before
it is filed, and files it once the person changes the dates; the status screen names
who decides. Real Kivy app under Xvfb with the fake core (which applies the real
``server_api.leave_rules``); screenshots in test-output/screenshots/kiosk/leave_rules/."""
import pytest

from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import KNOWN_FACE, _calls, _shot, fake_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def test_leave_rules_refusals_in_chinese(tmp_path, shared_data):
    cam = tmp_path / "cam"
    known = str(shared_data / "faces" / KNOWN_FACE)
    start = [{"tap": "menu.leave_dest"}, {"wait_screen": "leave_dest"}, {"tap": "北京市"},
             {"wait_screen": "leave_start"}]
    steps = [
        {"wait_screen": "idle"}, {"clear_dir": str(cam)},
        {"copy": known, "to": str(cam / "wen.jpg")}, {"wait_screen": "menu", "timeout": 15},
        {"clear_dir": str(cam)},
        # leave_apply_days_ahead: tomorrow is two days too late
        *start, {"tap": "leave_start.later"}, {"wait_text": "明天"}, {"tap": "leave_start.ok"},
        {"tap": "leave_end.ok"}, {"tap": "探亲"}, {"wait_screen": "leave_confirm"},
        {"tap": "leave_confirm.submit"}, {"wait_text": "外出需提前3天申请"},
        _shot("leave_refused_apply_ahead"),
        # leave_max_days (7 here): eight days refused, seven filed
        {"tap": "nav.back"}, {"tap": "nav.back"}, {"tap": "nav.back"},
        {"wait_screen": "leave_start"}, {"tap": "leave_start.later"}, {"tap": "leave_start.later"},
        {"wait_text": "3天以后"}, {"tap": "leave_start.ok"}, {"wait_screen": "leave_end"},
        *[{"tap": "leave_end.later"}] * 7, {"tap": "leave_end.ok"}, {"tap": "探亲"},
        {"wait_text": "共 8 天"}, {"tap": "leave_confirm.submit"},
        {"wait_text": "外出最长7天，您选了8天。"}, _shot("leave_refused_max_days"),
        {"tap": "nav.back"}, {"tap": "nav.back"}, {"wait_screen": "leave_end"},
        {"tap": "leave_end.earlier"}, {"tap": "leave_end.ok"}, {"tap": "探亲"},
        {"wait_text": "共 7 天"}, {"tap": "leave_confirm.submit"}, {"wait_text": "申请已提交"},
        {"tap": "leave_confirm.status"}, {"wait_screen": "leave_status"},
        {"wait_text": "由司法所审批"}, {"tap": "leave_status.next"}, {"wait_text": "回来后最晚"},
        _shot("leave_status_rules"),
    ]
    shots = SCREENSHOTS / "leave_rules"
    scenario = fake_scenario(tmp_path, steps, shots, leave_rules={"leave_max_days": 7})
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    submitted = [c for c in _calls(tmp_path) if c["call"] == "submit_leave"]
    assert len(submitted) == 1  # the refused requests were never filed
    assert sorted(p.stem[3:] for p in shots.glob("*.png")) == [  # "01_" + label
        "leave_refused_apply_ahead", "leave_refused_max_days", "leave_status_rules"]
