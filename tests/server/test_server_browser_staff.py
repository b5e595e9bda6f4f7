"""Staff accounts in a real browser: lockout, unlock, audit log, editor, session expiry.

Screenshots land in ``test-output/screenshots/console/`` (``3x-*``).
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.server.module_server import FakeClock
from tests.server.test_server_browser import _shot, browser_page, expect  # noqa: F401
from tests.staff_console import start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "password-123456"


def _sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _sign_out(page) -> None:
    page.get_by_role("button", name="退出登录").click()


def test_lockout_unlock_audit_editor_and_expiry_in_the_browser(browser_page, tmp_path):
    page = browser_page
    clock = FakeClock()
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "data", clock=clock)
    try:
        _sign_in(page, base_url, "admin", password)
        page.goto(base_url + "/console/centres")
        page.get_by_label("名称").fill("城关司法所")
        page.get_by_role("button", name="创建").click()
        page.goto(base_url + "/console/staff")
        for username, role, centre in (("wangwu", "工作人员（仅本中心）", "城关司法所"),
                                       ("bianji", "内容编辑（仅教育课程）", None)):
            page.get_by_label("用户名").fill(username)
            page.get_by_label("初始密码").fill(PASSWORD)
            page.get_by_label("角色").select_option(label=role)
            if centre:
                page.get_by_label("所属矫正中心").select_option(label=centre)
            page.get_by_role("button", name="创建账号").click()
            expect(page.locator(f'tr[data-username="{username}"]')).to_be_visible()
        _sign_out(page)

        for _ in range(5):
            _sign_in(page, base_url, "wangwu", "wrong-password")
        until = (clock.now + dt.timedelta(minutes=15, hours=8)).strftime("%Y-%m-%d %H:%M")
        expect(page.get_by_role("alert")).to_have_text(
            f"登录失败次数过多，登录已暂时锁定，请于 {until} 之后再试。如需提前解锁，请联系管理员。")
        _shot(page, "30-login-locked")

        _sign_in(page, base_url, "admin", password)
        page.goto(base_url + "/console/staff")
        row = page.locator('tr[data-username="wangwu"]')
        expect(row).to_contain_text(f"已锁定至 {until}")
        _shot(page, "31-staff-locked")
        row.get_by_role("button", name="解除锁定").click()
        expect(page.get_by_text("已解除账号 wangwu 的登录锁定。")).to_be_visible()

        page.goto(base_url + "/console/audit")
        page.get_by_label("操作", exact=True).select_option("login_failed")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("#audit tbody tr")).to_have_count(5)
        expect(page.get_by_text("共 5 条，第 1/1 页")).to_be_visible()
        _shot(page, "32-audit-filtered")
        page.goto(base_url + "/console/audit")
        _shot(page, "33-audit")
        _sign_out(page)

        _sign_in(page, base_url, "bianji", PASSWORD)
        page.wait_for_url(base_url + "/console/lessons")
        expect(page.locator("header nav a")).to_have_count(1)
        _shot(page, "34-editor-lessons")
        page.goto(base_url + "/console/persons")
        expect(page.get_by_role("alert")).to_have_text("您的角色无权访问此页面。")
        _shot(page, "35-editor-forbidden")

        clock.advance(minutes=31)
        page.goto(base_url + "/console/lessons")
        assert page.url.startswith(base_url + "/console/login")
        expect(page.get_by_text("登录已超时，请重新登录。")).to_be_visible()
        _shot(page, "36-session-expired")
    finally:
        stop()
