"""The fleet in the staff console, in a real browser (Debian's Chromium, Playwright): a
terminal going offline and back on an open dashboard without a reload, a command queued
and acknowledged, the configuration form. (Sign-in and a leave approval in the browser:
``test_server_browser``.) Screenshots land in ``test-output/screenshots/console/``."""
from __future__ import annotations

import base64
import shutil

import pytest

from tests.server.central_helpers import provisioned_terminal
from tests.server.fleet_helpers import ShiftedClock, command_result, heartbeat
from tests.server.test_server_browser import _shot, browser_page, expect  # noqa: F401
from tests.staff_console import StaffConsole, start_server

pytestmark = pytest.mark.browser


def test_the_fleet_seen_and_commanded_from_the_browser(browser_page, tmp_path):
    page = browser_page
    clock = ShiftedClock()
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "data", clock=clock)
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre = admin.create_centre("城关司法所")
        terminal = provisioned_terminal(base_url, admin.create_token(centre), "大厅一号机")

        def beat():
            """A heartbeat of a terminal whose clock agrees with the server's."""
            return heartbeat(terminal, terminal_time=clock().isoformat())

        assert beat().status_code == 200

        page.goto(base_url + "/console/")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base_url + "/console/")
        panel = page.locator("#terminal-panel")
        expect(panel).to_have_attribute("data-online", "1")
        expect(panel.locator("#all-terminals-online")).to_have_text("所有终端均在线。")
        _shot(page, "20-dashboard-terminal-online")

        # The terminal falls silent for more than 10 heartbeat intervals: the open page
        # shows it offline by itself (its panels are fetched again every few seconds).
        clock.offset_s = 11 * 30
        row = page.locator(f'#terminals-not-online tr[data-terminal-id="{terminal.terminal_id}"]')
        expect(row).to_have_attribute("data-state", "offline")
        expect(row).to_contain_text("离线")
        expect(panel).to_have_attribute("data-online", "0")
        _shot(page, "21-dashboard-terminal-offline")
        clock.follow(terminal)
        assert beat().status_code == 200
        expect(row).to_have_count(0)
        expect(page.locator("#terminal-panel")).to_have_attribute("data-online", "1")
        _shot(page, "22-dashboard-terminal-back-online")

        page.goto(base_url + "/console/terminals")
        listed = page.locator(f'#terminals tr[data-terminal-id="{terminal.terminal_id}"]')
        expect(listed).to_have_attribute("data-state", "online")
        expect(listed).to_contain_text("打印机：故障（缺纸）")
        expect(listed).to_contain_text("一致")  # the terminal's clock follows the server's
        _shot(page, "23-terminals-health")
        listed_id = listed.get_attribute("data-id")
        listed.get_by_role("link", name="大厅一号机").click()
        page.get_by_role("button", name="屏幕截图").click()
        expect(page.get_by_text("已向终端“大厅一号机”下发指令：屏幕截图。")).to_be_visible()
        history = page.locator("#command-history tbody tr")
        expect(history.first).to_have_attribute("data-status", "queued")
        _shot(page, "24-terminal-command-queued")

        # The terminal's next heartbeat carries the command; it answers with a picture.
        commands = beat().json()["commands"]
        assert [c["kind"] for c in commands] == ["screenshot"]
        picture = page.screenshot()
        assert command_result(terminal, commands[0]["id"], status="done", message="截图 1280×860",
                              attachment_b64=base64.b64encode(picture).decode(),
                              attachment_type="image/png").status_code == 200
        page.reload()
        expect(history.first).to_have_attribute("data-status", "done")
        expect(history.first).to_contain_text("已完成")
        expect(history.first).to_contain_text("截图 1280×860")
        image = history.first.locator("img.screenshot")
        image.wait_for()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") == 1280

        page.get_by_label("无操作自动退出（秒）").fill("5")
        page.get_by_role("button", name="保存配置").click()
        expect(page.get_by_role("alert")).to_have_text("“无操作自动退出（秒）”填写有误：应为15 到 900 之间的整数。")
        page.get_by_label("无操作自动退出（秒）").fill("120")
        page.get_by_role("button", name="保存配置").click()
        expect(page.get_by_text("“大厅一号机”的终端配置已保存")).to_be_visible()
        expect(page.locator('tr[data-effective-key="idle_timeout_s"]')).to_have_attribute("data-source", "terminal")
        _shot(page, "25-terminal-command-done-config")
        assert beat().json()["config"]["idle_timeout_s"] == 120
        page.goto(base_url + "/console/terminals")
        page.get_by_role("link", name="城关司法所的终端配置").click()
        page.get_by_label("服务时间").fill("07:30-21:00")
        page.get_by_role("button", name="保存配置").click()
        expect(page.get_by_text("“城关司法所”的终端配置已保存")).to_be_visible()
        _shot(page, "26-centre-config")
        assert beat().json()["config"]["opening_hours"] == "07:30-21:00"
        page.goto(base_url + f"/console/terminals/{listed_id}")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Remote commands")).to_be_visible()
        expect(page.locator("#health")).to_contain_text("Printer: error (缺纸)")
        _shot(page, "27-terminal-english")
    finally:
        stop()
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
