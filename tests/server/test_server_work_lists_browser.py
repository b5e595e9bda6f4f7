"""The work lists in a real browser: filter the overdue list, check-ins and enrolment
status as staff do.

Screenshots land in ``test-output/screenshots/console/`` (``20-*``).
"""
from __future__ import annotations

import pytest

from tests.server.test_server_browser import _shot, browser_page, expect  # noqa: F401
from tests.server.module_server import FakeClock
from tests.server.work_lists_seed import NOW, PASSWORD, seed
from tests.staff_console import start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_staff_filter_the_overdue_list_and_checkins_per_day(browser_page, tmp_path):
    page = browser_page
    clock = FakeClock(NOW)
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "data", clock=clock)
    try:
        seed(base_url, password, clock)
        page.goto(base_url + "/console/login")
        page.get_by_label("用户名").fill("staff-a")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base_url + "/console/")

        page.get_by_role("link", name="逾期名单").click()
        rows = page.locator("#overdue-reporting tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(1)).to_contain_text("从未报到")
        page.get_by_label("连续未报到天数 ≥").fill("14")
        page.get_by_role("button", name="筛选").click()
        expect(rows).to_have_count(2)
        expect(page.get_by_text("天数只是筛选条件")).to_be_visible()
        _shot(page, "20-overdue-reporting")
        page.get_by_role("link", name="逾期未销假").click()
        expect(page.locator("#overdue-returns tbody tr")).to_have_count(1)
        _shot(page, "21-overdue-returns")

        page.get_by_role("link", name="报到记录").click()
        page.get_by_label("显示方式").select_option(label="按日统计")
        page.get_by_label("起始日期").fill("2025-06-01")
        page.get_by_role("button", name="筛选").click()
        days = page.locator("#checkins-per-day tbody tr")
        expect(days).to_have_count(4)
        expect(days.first).to_contain_text("2025-06-16")
        _shot(page, "22-checkins-per-day")
        with page.expect_download() as download:
            page.locator("#export").click()
        assert download.value.suggested_filename.startswith("checkins-day-")

        page.get_by_role("link", name="采集情况").click()
        page.get_by_label("只看未完成采集的").check()
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("#enrolment tbody tr")).to_have_count(4)  # 孙七 is enrolled
        expect(page.locator("#enrolment")).not_to_contain_text("孙七")
        _shot(page, "23-enrolment-incomplete")
    finally:
        stop()
