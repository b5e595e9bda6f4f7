"""The staff console in a real browser (Debian's Chromium driven by Playwright).

Screenshots of every page land in ``test-output/screenshots/console/``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.server.central_helpers import (
    TerminalClient, b64, enrol, event, jpeg_bytes, with_wrong_check_character,
)
from tests.staff_console import make_id_number, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots" / "console"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=10_000)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_day_at_the_console(browser_page, tmp_path, video_file):
    page = browser_page
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}", tmp_path / "data")
    try:
        page.goto(base_url + "/console/")
        assert page.url.startswith(base_url + "/console/login")
        _shot(page, "01-login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base_url + "/console/")
        _shot(page, "02-dashboard-empty")

        page.goto(base_url + "/console/centres")
        page.get_by_label("名称").fill("城关司法所")
        page.get_by_role("button", name="创建").click()
        expect(page.get_by_text("已创建矫正中心“城关司法所”")).to_be_visible()
        _shot(page, "03-centres")

        page.goto(base_url + "/console/persons")
        page.get_by_label("姓名").fill("张三")
        page.get_by_label("身份证号码").fill(with_wrong_check_character(make_id_number(1)))
        page.get_by_role("button", name="登记").click()
        expect(page.get_by_role("alert")).to_have_text("身份证号码校验位不正确，请核对是否输错。")
        _shot(page, "04-persons-error")
        page.get_by_label("身份证号码").fill(make_id_number(1))
        page.get_by_label("矫正类别").select_option("缓刑")
        page.get_by_label("报到义务").fill("每周一上午到司法所报到")
        page.get_by_role("button", name="登记").click()
        row = page.locator("#persons tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("张三")
        person_id = int(row.get_attribute("data-id"))
        _shot(page, "05-persons")

        page.goto(base_url + "/console/terminals")
        page.get_by_role("button", name="生成登记码").click()
        expect(page.locator("#enrol-token")).to_be_visible()
        token = page.locator("#enrol-token").get_attribute("data-token")
        _shot(page, "06-token")
        answer = enrol(base_url, token, "大厅一号机").json()
        terminal = TerminalClient(base_url, answer["terminal_id"], answer["secret"], answer["centre_id"])
        assert terminal.post_events(
            event("checkin", person_id, match_score=0.94, snapshot_jpeg_b64=b64(jpeg_bytes(320, 240))),
            event("leave_request", person_id, key="leave-browser-01", destination="江苏省南京市",
                  start_date="2025-06-01", end_date="2025-06-05", reason="参加女儿婚礼"),
        ).status_code == 200
        page.goto(base_url + "/console/terminals")
        expect(page.locator("#terminals")).to_contain_text("大厅一号机")
        _shot(page, "07-terminals")

        page.goto(base_url + "/console/leaves")
        pending = page.locator('tr[data-key="leave-browser-01"]')
        pending.get_by_label("审批意见（选填）").fill("请按时销假")
        _shot(page, "08-leaves-pending")
        pending.get_by_role("button", name="批准", exact=True).click()
        expect(page.get_by_text("已批准张三的请假申请。")).to_be_visible()
        _shot(page, "09-leaves-decided")
        leave = terminal.get(f"/terminal/persons/{person_id}/leaves").json()["leaves"][0]
        assert (leave["status"], leave["decision_note"]) == ("approved", "请按时销假")

        page.goto(base_url + "/console/lessons")
        page.get_by_label("课程名称").fill("社区矫正法律常识")
        page.get_by_label("视频文件").set_input_files(str(video_file))
        page.get_by_role("button", name="上传").click()
        expect(page.get_by_text("已上传课程“社区矫正法律常识”。")).to_be_visible()
        page.get_by_role("button", name="分配", exact=True).click()
        expect(page.locator("#lessons span.badge")).to_have_text(["张三"])
        _shot(page, "10-lessons")
        lessons = terminal.get(f"/terminal/persons/{person_id}/lessons").json()["lessons"]
        assert [item["title"] for item in lessons] == ["社区矫正法律常识"]

        page.goto(base_url + "/console/checkins")
        checkin = page.locator("#checkins tbody tr")
        expect(checkin).to_have_count(1)
        expect(checkin).to_contain_text("张三")
        expect(checkin).to_contain_text("0.94")
        thumb = checkin.locator("img.thumb")
        thumb.wait_for()
        assert thumb.evaluate("img => img.complete && img.naturalWidth") == 320
        _shot(page, "11-checkins")
        assert terminal.post_events(
            event("staff_call", 0, screen="idle"),
            event("staff_call", person_id, screen="leave_form"),
        ).json()["results"][1]["status"] == "stored"
        page.goto(base_url + "/console/")
        calls = page.locator("#staff-calls tbody tr")
        expect(calls).to_have_count(2)
        expect(calls.nth(0)).to_contain_text("张*")
        expect(calls.nth(1)).to_contain_text("未识别")
        _shot(page, "12-dashboard")
        calls.nth(1).get_by_role("button", name="已处理").click()
        expect(page.get_by_text("已处理终端“大厅一号机”的呼叫。")).to_be_visible()
        expect(calls).to_have_count(1)
        _shot(page, "12b-dashboard-call-resolved")
        assert [r["status"] for r in terminal.post_events(
            event("verification_failure", person_id, reason="liveness_failed", attempt=1,
                  claimed=True, stage="liveness", liveness_reason="static_image",
                  challenges=["blink", "turn_left"], face_encoding=[0.1] * 128,
                  snapshot_jpeg_b64=b64(jpeg_bytes(320, 240))),
            event("verification_failure", person_id, reason="face_mismatch", attempt=2,
                  claimed=True, stage="face", face_distance=0.58, face_ratio=1.12,
                  face_encoding=[0.2] * 128, snapshot_jpeg_b64=b64(jpeg_bytes(320, 240))),
        ).json()["results"]] == ["stored", "stored"]
        page.goto(base_url + "/console/verifications")
        rows = page.locator("#open-verifications tbody tr")
        expect(rows).to_have_count(2)
        spoof = page.locator('tr[data-reason="liveness_failed"]')
        expect(spoof.get_by_role("note")).to_contain_text("疑似假冒")
        expect(spoof.get_by_label("加入此人的人脸参考")).to_have_count(0)
        _shot(page, "12c-verifications")
        mismatch = page.locator('tr[data-reason="face_mismatch"]')
        mismatch.get_by_label("加入此人的人脸参考").check()
        mismatch.get_by_role("button", name="确认为本人").click()
        expect(page.get_by_text("人脸样本已加入其比对底库")).to_be_visible()
        expect(rows).to_have_count(1)
        _shot(page, "12d-verifications-reviewed")
        faces = terminal.get("/terminal/roster").json()["persons"][0]["face_templates"]
        assert faces == [[0.2] * 128]

        page.goto(base_url + "/console/staff")
        _shot(page, "13-staff")

        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
        page.goto(base_url + "/console/persons")
        _shot(page, "14-persons-english")
        page.get_by_text("Remove…").click()
        page.get_by_label("Reason (e.g. supervision ended)").fill("Supervision ended")
        page.get_by_label("I confirm deleting all of this person's biometric data").check()
        _shot(page, "15-person-remove")
        page.get_by_role("button", name="Remove and delete biometric data").click()
        expect(page.get_by_text("Removed “张三”")).to_be_visible()
        expect(page.locator("#persons tbody tr")).to_have_attribute("data-removed", "yes")
        _shot(page, "16-person-removed")
        assert terminal.get("/terminal/roster").json()["persons"] == []
    finally:
        stop()
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
