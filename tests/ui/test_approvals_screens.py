"""The other approvals' screens in the real Kivy app (FakeApprovalsCore), driven by touch,
with a screenshot of each (test-output/screenshots/kiosk/approvals/): 执行地变更 a month
ahead (DOMAIN.md), 会客 with whom, 经常性跨市县 with its last day, then 我的申请."""
import json
from pathlib import Path

import pytest

from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import FORBIDDEN, KNOWN_FACE, WEN_ID

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def _shot(name, **kw):
    return {"screenshot": name, **kw}


def walkthrough(cam: Path, faces: Path) -> list:
    known = str(faces / KNOWN_FACE)
    return [
        {"wait_screen": "idle"}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 15}, {"clear_dir": str(cam)}, _shot("menu"),
        {"tap": "menu.approval_type"}, {"wait_screen": "approval_type"},
        {"wait_text": "病情复查延期"}, _shot("approval_type"),
        # 执行地变更: place -> date (30 days ahead at the earliest) -> reason -> confirm
        {"tap": "执行地变更"}, {"wait_screen": "approval_place"}, _shot("approval_place"),
        {"tap": "北京市"}, {"wait_screen": "approval_start"}, {"wait_text": "哪天变更执行地"},
        {"wait_text": "30天以后"}, _shot("approval_start_place_change"),
        {"tap": "approval_start.later"}, {"wait_text": "31天以后"},
        {"tap": "approval_start.ok"}, {"wait_screen": "approval_reason"}, _shot("approval_reason"),
        {"tap": "工作变动"}, {"wait_screen": "approval_confirm"}, {"wait_text": "北京市"},
        _shot("approval_confirm"), {"tap": "approval_confirm.submit"},
        {"wait_text": "申请已提交"}, _shot("approval_submitted"),
        {"tap": "approval_confirm.status"}, {"wait_screen": "approval_status"},
        {"wait_text": "等待上传"}, {"wait_text": "请先提供新住址的租房合同"}, _shot("approval_status"),
        {"tap": "nav.back"}, {"wait_screen": "menu"},
        # 会客: whom -> date -> reason
        {"tap": "menu.approval_type"}, {"tap": "会客"}, {"wait_screen": "approval_counterpart"},
        _shot("approval_counterpart"), {"tap": "被害人或其家属"}, {"wait_screen": "approval_start"},
        {"wait_text": "哪天见面"}, {"tap": "approval_start.ok"}, {"wait_screen": "approval_reason"},
        {"tap": "赔偿或调解"}, {"wait_text": "见谁：被害人或其家属"}, _shot("approval_confirm_visitor"),
        {"tap": "nav.back"}, {"wait_screen": "approval_reason"}, {"tap": "nav.back"},
        {"wait_screen": "approval_start"}, {"tap": "nav.back"},
        {"wait_screen": "approval_counterpart"}, {"tap": "nav.back"},
        {"wait_screen": "approval_type"},
        # 经常性跨市县: place -> first day -> last day (at most 183 days) -> reason
        {"tap": "经常跨市县外出"}, {"tap": "江苏省"}, {"wait_screen": "approval_start"},
        {"tap": "approval_start.ok"}, {"wait_screen": "approval_end"},
        {"wait_text": "182天以后"},
        *[{"tap": "approval_end.earlier"} for _ in range(3)], {"wait_text": "179天以后"},
        _shot("approval_end"), {"tap": "approval_end.ok"}, {"tap": "务工或经商"},
        {"wait_screen": "approval_confirm"}, {"tap": "approval_confirm.submit"},
        {"wait_text": "申请已提交"}, {"tap": "nav.home"}, {"wait_screen": "menu"},
        # 迁居: the confirm screen says the new address is registered in person
        {"tap": "menu.approval_type"}, {"tap": "搬家（迁居）"}, {"tap": "approval_start.ok"},
        {"tap": "房屋拆迁"}, {"wait_text": "新住址请到司法所当面登记"}, _shot("approval_confirm_move"),
        {"tap": "approval_confirm.submit"}, {"wait_text": "申请已提交"},
        {"tap": "nav.home"}, {"wait_screen": "menu"},
        {"tap": "topbar.language"}, {"wait_text": "Other requests"}, _shot("menu_en"),
        {"tap": "menu.approval_status"}, {"wait_text": "Waiting to send"}, {"tap": "approval_status.next"}, {"wait_text": "Not approved"}, {"wait_text": "Previous"},
        _shot("approval_status_en"),
        {"tap": "nav.back"}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
    ]


def test_approval_screens(tmp_path, shared_data):
    shots = SCREENSHOTS / "approvals"
    people = {"wen": {"id": 1, "display_name": "温*宝", "case_type": "暂予监外执行",
                      "id_number": WEN_ID}}
    scenario = {
        "core_factory": "tests.ui.fake_approvals:FakeApprovalsCore",
        "settings_factory": None,
        "settings": {"camera_dir": str(tmp_path / "cam"), "work_dir": str(tmp_path / "work"),
                     "log_file": str(tmp_path / "calls.jsonl"), "timeout_seconds": 300,
                     "people": people, "max_attempts": 9},
        "screenshot_dir": str(shots),
        "forbidden_texts": FORBIDDEN,
        "steps": walkthrough(tmp_path / "cam", shared_data / "faces"),
    }
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text("utf-8").splitlines()]
    filed = [c for c in calls if c["call"] == "submit_approval"]
    assert [c["type"] for c in filed] == ["place_change", "frequent_travel", "move"]
    assert filed[0]["place"] == "北京市" and filed[0]["reason"] == "approval.reason.place_change.1"
    assert filed[1]["place"] == "江苏省" and filed[1]["end"] > filed[1]["start"]
    assert len(list(shots.glob("*.png"))) >= 12
