"""The 其他审批 console page in a real browser: a rejection needs a reason, an approval
reaches the terminal. Screenshots: ``test-output/screenshots/console/6x-approvals*``."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.server.central_helpers import enrol, event
from tests.server.test_server_browser import _shot, browser_page, expect  # noqa: F401
from tests.staff_console import StaffConsole, make_id_number, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_staff_decide_approvals_in_the_browser(browser_page, tmp_path):
    page = browser_page
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "data")
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre = admin.create_centre("城关司法所")
        person = admin.create_person(centre, "张三", make_id_number(1), "缓刑")
        terminal = enrol(base_url, admin.create_token(centre)).terminal()
        today = dt.datetime.now(dt.timezone.utc).date()
        answer = terminal.post_events(
            event("approval_request", person, key="appr-browser-01", type="place_change",
                  start_date=(today + dt.timedelta(days=40)).isoformat(), place="广东省",
                  reason="工作变动"),
            event("approval_request", person, key="appr-browser-02", type="visitor",
                  start_date=(today + dt.timedelta(days=2)).isoformat(),
                  counterpart="被害人或其家属", reason="赔偿或调解"))
        assert [r["status"] for r in answer.json()["results"]] == ["stored", "stored"]

        page.goto(base_url + "/console/login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="其他审批").click()
        rows = page.locator("#approvals tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator('tr[data-key="appr-browser-01"]')).to_contain_text("执行地变更")
        _shot(page, "60-approvals-pending")

        visit = page.locator('tr[data-key="appr-browser-02"]')
        visit.get_by_role("button", name="不批准").click()
        expect(page.get_by_text("不批准时请填写理由")).to_be_visible()
        _shot(page, "61-approvals-reason-required")
        visit = page.locator('tr[data-key="appr-browser-02"]')
        visit.get_by_label("审批意见（不批准时必填）").fill("请由司法所工作人员陪同会见")
        visit.get_by_role("button", name="不批准").click()
        expect(page.get_by_text("已驳回张三的申请。")).to_be_visible()
        page.locator('tr[data-key="appr-browser-01"]').get_by_role("button", name="批准", exact=True).click()
        expect(page.get_by_text("已批准张三的申请。")).to_be_visible()
        expect(page.get_by_text("没有待审批的申请。")).to_be_visible()
        page.get_by_label("状态").select_option(label="全部")
        page.get_by_role("button", name="筛选").click()
        expect(rows).to_have_count(2)
        _shot(page, "62-approvals-decided")
        shown = terminal.get(f"/terminal/persons/{person}/approvals").json()["approvals"]
        assert {a["key"]: a["status"] for a in shown} == {
            "appr-browser-01": "approved", "appr-browser-02": "rejected"}
    finally:
        stop()
