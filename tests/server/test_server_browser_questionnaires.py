"""心理测评 in the staff console, in a real browser (Chromium + Playwright): staff assign
PHQ-9 with the form, a terminal answers it with a critical item 9, the dashboard shows
the call for staff by itself (live refresh) without a score, the result page shows the
score and the answers. Screenshots in ``test-output/screenshots/console/``."""
from __future__ import annotations

import pytest

from tests.server.central_helpers import TerminalClient, enrol, event
from tests.server.test_server_browser import _shot, browser_page, expect  # noqa: F401
from tests.staff_console import StaffConsole, make_id_number, start_server

pytestmark = pytest.mark.browser


def test_assign_alert_and_read_a_result(browser_page, tmp_path):
    page = browser_page
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "data")
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre = admin.create_centre("城关司法所")
        person = admin.create_person(centre, "王建国", make_id_number(3), "缓刑")
        admin.create_staff("staff_a", "password-123456", "staff", centre)
        answer = enrol(base_url, admin.create_token(centre)).json()
        terminal = TerminalClient(base_url, answer["terminal_id"], answer["secret"], centre)

        page.goto(base_url + "/console/login")
        page.get_by_label("用户名").fill("staff_a")
        page.get_by_label("密码").fill("password-123456")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base_url + "/console/")
        page.get_by_role("link", name="心理测评").click()
        page.get_by_label("矫正对象").select_option(str(person))
        page.get_by_label("问卷").select_option("phq9")
        page.get_by_role("button", name="布置").click()
        expect(page.get_by_text("已为 王建国 布置“心情状况问卷（PHQ-9）”。")).to_be_visible()
        expect(page.locator("#questionnaire-pending tr[data-questionnaire=phq9]")).to_have_count(1)
        _shot(page, "questionnaires-assigned")

        # The terminal: the staff call of the critical answer, then the answers.
        page.goto(base_url + "/console/")
        [item] = terminal.get(f"/terminal/persons/{person}/questionnaires").json()["assignments"]
        stored = terminal.post_events(
            event("staff_call", person, screen="questionnaire_critical"),
            event("questionnaire_result", person, assignment_id=item["assignment_id"],
                  questionnaire_id="phq9", version=1, answers=[3, 3, 3, 3, 3, 1, 0, 0, 1]))
        assert [r["status"] for r in stored.json()["results"]] == ["stored", "stored"]
        calls = page.locator("#staff-calls")  # appears without reloading the page
        expect(calls).to_contain_text("心理测评：有需要立即关注的回答", timeout=15_000)
        expect(calls).to_contain_text("王*国")
        expect(calls).not_to_contain_text("总分")
        _shot(page, "questionnaires-dashboard-alert")

        page.get_by_role("link", name="心理测评").click()
        row = page.locator("#questionnaire-results tr[data-critical=yes]")
        expect(row).to_contain_text("17")
        expect(row).to_contain_text("中重度")
        row.get_by_role("link", name="查看").click()
        expect(page.locator("#questionnaire-answers tr[data-critical=yes]")).to_contain_text(
            "有不如死掉或用某种方式伤害自己的念头")
        _shot(page, "questionnaires-result")
    finally:
        stop()
