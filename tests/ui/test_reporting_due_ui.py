"""The menu tells the person what reporting is due (报到计划), in Chinese and English.

The real Kivy app over FakeCore, whose ``reporting_due`` runs the real rules and texts
(``kiosk.reporting_due``) on a weekly plan due on Saturdays, judged on Wednesday
2026-12-09: the window ending Saturday 5 Dec was missed, the current one ends Saturday
12 Dec. After a check-in the menu says this week is done and when the next window is.
Screenshots: test-output/screenshots/kiosk/plans/ (look at them).
"""
import json
from pathlib import Path

import pytest

from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import KNOWN_FACE, _shot, fake_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]

WEEKLY_SAT = {"kind": "weekly", "start": "2026-11-23", "window_days": 7, "due_day": 5,
              "dates": []}


def test_the_menu_shows_what_is_due_and_then_that_it_is_done(tmp_path, shared_data):
    cam, known = tmp_path / "cam", str(shared_data / "faces" / KNOWN_FACE)
    steps = [
        {"wait_screen": "idle"}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 15}, {"clear_dir": str(cam)},
        {"wait_text": "本周需报到：12月12日（周六）前"},
        {"wait_text": "12月5日（周六）前没有报到，请找工作人员说明"},
        _shot("menu_due"),
        {"tap": "menu.checkin"}, {"tap": "checkin.confirm"}, {"wait_text": "报到成功"},
        {"tap": "nav.home"}, {"wait_screen": "menu"},
        {"wait_text": "本周已报到"}, {"wait_text": "下次报到：12月13日（周日）至12月19日（周六）"},
        {"expect_no_text": "没有报到"}, _shot("menu_due_done"),
        {"tap": "topbar.language"}, {"wait_text": "You have reported this week"},
        {"wait_text": "Next report: Sun 12/13 to Sat 12/19"}, _shot("menu_due_done_en"),
        {"tap": "topbar.language"}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
    ]
    shots = SCREENSHOTS / "plans"
    scenario = fake_scenario(tmp_path, steps, shots, today="2026-12-09")
    scenario["settings"]["people"]["wen"].update(plan=WEEKLY_SAT, checkin_days=["2026-11-28"])
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text("utf-8").splitlines()]
    spoken = [c["key"] for c in calls if c["call"] == "speak"]
    assert spoken.count("plan.spoken") >= 2  # the due lines are also said, on each menu entry
    assert sorted(p.name for p in Path(shots).glob("*.png")) == [
        "01_menu_due.png", "02_menu_due_done.png", "03_menu_due_done_en.png"]
