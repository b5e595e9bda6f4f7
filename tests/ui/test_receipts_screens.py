"""Receipts on screen (FakeCore, real Kivy app under Xvfb, touch): a printed receipt, a
printer out of paper (the check-in still succeeds, the screen says staff were told), the
leave status screen's 打印批假单 button, and the receipt at the end of a lesson.
Screenshots in test-output/screenshots/kiosk/fake-receipts/; look at them.
"""
from pathlib import Path

import pytest

from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import KNOWN_FACE, _calls, _shot, fake_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def receipts_tour(cam: Path, faces: Path, paper_out: Path, flags: Path) -> list:
    flag = str(flags / "paper_out")
    return [
        {"wait_screen": "idle"}, {"copy": str(faces / KNOWN_FACE), "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 15}, {"clear_dir": str(cam)},
        {"tap": "menu.checkin"}, {"tap": "checkin.confirm"}, {"wait_text": "报到成功"},
        {"wait_text": "凭条已打印，请取走"}, _shot("checkin_receipt_printed"),
        {"tap": "nav.home"}, {"wait_screen": "menu"},
        {"copy": flag, "to": str(paper_out)},  # the printer runs out of paper
        {"tap": "menu.checkin"}, {"tap": "checkin.confirm"}, {"wait_text": "报到成功"},
        {"wait_text": "凭条没能打印出来，已经告诉工作人员了"}, {"wait_text": "BD20260001"},
        _shot("checkin_receipt_not_printed"), {"tap": "nav.home"},
        {"tap": "menu.leave_status"}, {"wait_screen": "leave_status"}, {"wait_text": "打印批假单"},
        _shot("leave_status_print_button"),
        {"tap": "leave_status.0.print"}, {"wait_text": "凭条没能打印出来"},
        _shot("leave_slip_not_printed"),
        {"clear_dir": str(paper_out.parent)},  # staff loaded paper
        {"tap": "leave_status.0.print"}, {"wait_text": "批假单已打印，请取走"},
        _shot("leave_slip_printed"), {"tap": "nav.back"}, {"wait_screen": "menu"},
        # the person sits in front of the camera while the lesson plays (lesson credit)
        {"copy": str(faces / KNOWN_FACE), "to": str(cam / "wen.jpg")},
        {"tap": "menu.lessons"}, {"wait_screen": "lessons"}, {"tap": "lessons.1"},
        {"wait_screen": "lesson_player", "timeout": 15},
        {"wait_text": "学习凭条已打印", "timeout": 25}, _shot("lesson_finished_receipt"),
        {"tap": "nav.back"}, {"wait_screen": "lessons"}, {"tap": "nav.back"},
        {"tap": "menu.exit"}, {"wait_screen": "idle"},
    ]


def test_receipt_screens_with_fake_core(tmp_path, shared_data):
    cam, flags, out_dir = tmp_path / "cam", tmp_path / "flags", tmp_path / "printer"
    flags.mkdir()
    out_dir.mkdir()
    (flags / "paper_out").write_text("", "utf-8")
    shots = SCREENSHOTS / "fake-receipts"
    steps = receipts_tour(cam, shared_data / "faces", out_dir / "paper_out", flags)
    scenario = fake_scenario(tmp_path, steps, shots, printer_out_file=str(out_dir / "paper_out"))
    result = run_driver(scenario, tmp_path, timeout=240)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    outcomes = [(c["call"], c["what"]) for c in calls if c["call"].startswith("receipt_")]
    assert outcomes == [("receipt_printed", "checkin"), ("receipt_not_printed", "checkin"),
                        ("receipt_not_printed", "leave-L1"), ("receipt_printed", "leave-L1"),
                        ("receipt_printed", "lesson-safety")]
    assert [c["call"] for c in calls].count("check_in") == 2  # both check-ins recorded
    spoken = [c["key"] for c in calls if c["call"] == "speak"]
    assert "ui.receipt.not_printed" in spoken
    assert len(list(shots.glob("*.png"))) == 6
