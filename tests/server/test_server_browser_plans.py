"""Reporting plans in a real browser (Debian's Chromium driven by Playwright): staff set a
weekly plan and a judgment date through the form, see the next windows and the Art 21
check, then the missed-reporting list. Screenshots: test-output/screenshots/console/plans-*.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.server.central_helpers import TerminalClient, enrol, event
from tests.server.module_server import FakeClock
from tests.server.test_server_browser import _shot, browser_page, expect  # noqa: F401
from tests.staff_console import StaffConsole, make_id_number, start_server

pytestmark = pytest.mark.browser
# Wednesday 2026-12-09 12:00 in Shanghai.
NOW = dt.datetime(2026, 12, 9, 4, 0, tzinfo=dt.timezone.utc)


def test_staff_set_a_plan_and_see_who_missed_it(browser_page, tmp_path):
    page = browser_page
    clock = FakeClock(NOW)
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "data", clock=clock)
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre = admin.create_centre("城关司法所")
        person = admin.create_person(centre, "张三", make_id_number(1), "缓刑")
        answer = enrol(base_url, admin.create_token(centre), "大厅一号机").json()
        terminal = TerminalClient(base_url, answer["terminal_id"], answer["secret"], centre)
        terminal.auth.clock_offset_s = (clock.now - dt.datetime.now(dt.timezone.utc)).total_seconds()
        stored = terminal.post_events({**event("checkin", person, match_score=0.9),
                                       "occurred_at": "2026-12-02T10:00:00+08:00"}).json()
        assert stored["results"][0]["status"] == "stored"

        page.goto(base_url + "/console/login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.goto(base_url + "/console/persons")
        page.get_by_role("link", name="报到计划", exact=True).first.click()
        expect(page.locator("#plan-none")).to_be_visible()
        page.get_by_label("判决、裁定（决定）生效日期").fill("2026-11-20")
        page.get_by_label("报到方式").select_option("weekly")
        page.get_by_label("计划开始日期").fill("2026-11-23")
        page.get_by_label("每周最迟报到日（每周报到时）").select_option("5")
        page.get_by_label("报到窗口（天，含最迟报到日当天）").fill("9")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_role("alert")).to_contain_text("报到窗口天数须在 1 到 7 之间")
        page.get_by_label("报到窗口（天，含最迟报到日当天）").fill("3")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("报到计划已保存")).to_be_visible()
        # Thursday to Saturday each week; the next window ends Saturday 12 Dec.
        expect(page.locator("#plan-upcoming tbody tr").first).to_have_attribute("data-due", "2026-12-12")
        expect(page.locator("#first-report")).to_have_attribute("data-late", "yes")  # day 12
        expect(page.locator("#plan-summary")).to_have_text("每周报到：每周最迟周六报到，报到窗口 3 天（含当天）；自 2026-11-23 起。")
        _shot(page, "plans-person")

        page.get_by_role("link", name="报到计划执行").first.click()
        rows = page.locator("#reporting-missed tbody tr")
        # 26-28 Nov: no check-in; 3-5 Dec: the check-in of Wednesday 2 Dec came too early.
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_have_attribute("data-due", "2026-12-05")
        _shot(page, "plans-missed")
        page.goto(base_url + "/console/")
        expect(page.locator("#reporting-missed-count")).to_have_attribute("data-count", "1")
    finally:
        stop()
