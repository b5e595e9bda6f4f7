"""心理测评 screens in the real Kivy app under Xvfb, driven by touch, in Chinese:
the menu entry, the list, one question per screen read aloud, the help screen after a
critical answer (PHQ-9 item 9), the thanks; never a score. Screenshots land in
test-output/screenshots/kiosk/questionnaires/."""
import json

import pytest

from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import FORBIDDEN, KNOWN_FACE, fake_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]

SCORE_WORDS = ["总分", "得分", "分数", "轻度", "中度", "重度"]


def test_questionnaire_screens(tmp_path, shared_data):
    shots = SCREENSHOTS / "questionnaires"
    cam = tmp_path / "cam"
    known = str(shared_data / "faces" / KNOWN_FACE)
    answer_all = []
    for number in range(1, 8):  # questions 1-7: 好几天
        answer_all += [{"wait_text": f"第 {number} 题，共 9 题"}, {"tap": "questionnaire.choice.1"}]
    steps = [
        {"wait_screen": "idle"}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 15}, {"screenshot": "menu"},
        {"tap": "menu.questionnaires"}, {"wait_screen": "questionnaires"},
        {"wait_text": "心情状况问卷（PHQ-9）"}, {"screenshot": "questionnaire_list"},
        {"tap": "questionnaires.0"}, {"wait_screen": "questionnaire"},
        {"wait_text": "做事时提不起劲或没有兴趣"}, {"wait_text": "一半以上的天数"},
        {"screenshot": "question_1"},
        {"tap": "questionnaire.choice.2"}, {"wait_text": "第 2 题，共 9 题"},
        {"tap": "nav.back"}, {"wait_text": "第 1 题，共 9 题"},  # 上一题
        {"screenshot": "question_1_answered"},
        *answer_all,
        {"wait_text": "动作或说话速度缓慢"}, {"screenshot": "question_8_longest"},
        {"tap": "topbar.language"}, {"wait_text": "Question 8 of 9"},
        {"wait_text": "More than half the days"}, {"screenshot": "question_8_english"},
        {"tap": "topbar.language"}, {"wait_text": "第 8 题，共 9 题"},
        {"tap": "questionnaire.choice.0"},
        {"wait_text": "有不如死掉或用某种方式伤害自己的念头"}, {"screenshot": "question_9"},
        {"tap": "questionnaire.choice.1"}, {"wait_screen": "questionnaire_help"},
        {"wait_text": "12356"}, {"wait_text": "工作人员已经收到通知"},
        *[{"expect_no_text": w} for w in SCORE_WORDS],
        {"screenshot": "questionnaire_help"},
        {"tap": "questionnaire_help.continue"}, {"wait_screen": "questionnaire_done"},
        {"wait_text": "谢谢您"}, {"wait_text": "12356"},
        *[{"expect_no_text": w} for w in SCORE_WORDS],
        {"screenshot": "questionnaire_done"},
        {"tap": "nav.home"}, {"wait_screen": "menu"},
    ]
    scenario = fake_scenario(tmp_path, steps, shots)
    scenario["core_factory"] = "tests.ui.fake_questionnaires:QuestionnaireFakeCore"
    scenario["forbidden_texts"] = FORBIDDEN
    result = run_driver(scenario, tmp_path)
    assert result["ok"], describe_failure(result)

    calls = [json.loads(line) for line in
             (tmp_path / "calls.jsonl").read_text("utf-8").splitlines()]
    spoken = [c["key"] for c in calls if c["call"] == "speak"]
    # every question was read aloud (question 1 twice: again after 上一题), then the help
    assert spoken.count("questionnaire.say_question") >= 10
    assert "ui.questionnaire_help.say" in spoken
    staff_calls = [c for c in calls if c["call"] == "call_staff"]
    assert [c["screen"] for c in staff_calls] == ["questionnaire_critical"]
    [submitted] = [c for c in calls if c["call"] == "submit_questionnaire"]
    assert submitted["answers"] == [1] * 7 + [0, 1]
    # the critical staff call came as the answer was given, before the help screen
    names = [c["call"] for c in calls]
    assert names.index("call_staff") < names.index("submit_questionnaire")
