"""The lesson player's face-check pause and the quiz, in Chinese, on the real Kivy app
(FakeCore with the real lesson-credit rule; screenshots in
test-output/screenshots/kiosk/lesson_credit/). DOMAIN.md art. 36: the learning time is
the person's own; configuration key ``lesson_absent_checks_to_pause`` (1 here)."""
import pytest

from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import KNOWN_FACE, UNKNOWN_FACE, _calls, fake_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def _shot(name, **kw):
    return {"screenshot": name, **kw}


def test_art36_pause_prompt_resume_and_quiz_in_chinese(tmp_path, shared_data):
    faces, cam = shared_data / "faces", tmp_path / "cam"
    known, stranger = str(faces / KNOWN_FACE), str(faces / UNKNOWN_FACE)
    steps = [
        {"wait_screen": "idle"}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 20},
        {"tap": "menu.lessons"}, {"wait_screen": "lessons"}, {"tap": "lessons.0"},
        {"wait_screen": "lesson_player", "timeout": 15}, {"wait_text": "已计学习时间 10 分"}, {"sleep": 2.2},
        _shot("lesson_player_credit"),
        {"clear_dir": str(cam)}, {"wait_text": "看不到您，已暂停"}, _shot("lesson_paused_absent"),
        {"copy": stranger, "to": str(cam / "stranger.jpg")}, {"wait_text": "不是本人，已暂停"},
        _shot("lesson_paused_other"),
        {"clear_dir": str(cam)}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_gone": "已暂停", "timeout": 10},
        {"wait_screen": "lesson_quiz", "timeout": 30}, {"wait_text": "第 1 题，共 2 题"},
        _shot("lesson_quiz"),
        {"tap": "quiz.0"}, {"wait_text": "第 2 题，共 2 题"}, {"tap": "quiz.1"},
        {"wait_text": "测验通过了"}, _shot("lesson_quiz_passed"),
        {"tap": "quiz.done"}, {"wait_screen": "lessons"},
    ]
    shots = SCREENSHOTS / "lesson_credit"
    scenario = fake_scenario(tmp_path, steps, shots, identity_timing={"step": 0.3, "read": 0.3,
                                                                       "hint": 0.3, "hold": 0.2,
                                                                       "record": 0.5},
                             lesson_seconds=10, lesson_check_every_s=1.0)
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    checks = [c for c in calls if c["call"] == "lesson_face_check"]
    assert {"absent", "other", "present"} <= {c["seen"] for c in checks}
    assert [c["action"] for c in checks if c["seen"] != "present"][:1] == ["pause"]
    [finished] = [c for c in calls if c["call"] == "finish_lesson_viewing"]
    assert finished["credited"] >= 600 + 4  # earlier total + present stretches only
    assert [c["passed"] for c in calls if c["call"] == "submit_lesson_quiz"] == [True]
    for name in ("lesson_paused_absent", "lesson_paused_other", "lesson_quiz", "lesson_quiz_passed"):
        assert list(shots.glob(f"*_{name}.png")), name
