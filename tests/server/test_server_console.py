"""The staff console: sign-in, clear refusals of bad input, centre scoping, language."""
from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import func, select

from server_api.server.db import Database
from server_api.server.models import AuditEntry, Centre, Person, StaffUser

from tests.server.central_helpers import b64, event, jpeg_bytes, with_wrong_check_character
from tests.staff_console import ConsoleError, StaffConsole, make_id_number, start_server


def _counts(database_url: str) -> tuple[int, int, int]:
    db = Database(database_url)
    try:
        with db.session() as session:
            return tuple(session.scalar(select(func.count()).select_from(m))
                         for m in (Centre, Person, StaffUser))
    finally:
        db.dispose()


def test_sign_in_is_required_and_wrong_passwords_are_refused(server):
    anonymous = requests.get(server.base_url + "/console/persons", allow_redirects=False, timeout=5)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/console/login?next=%2Fconsole%2Fpersons"

    console = StaffConsole(server.base_url)
    with pytest.raises(ConsoleError) as refused:
        console.login("admin", "not-the-password")
    assert refused.value.status == 401 and "用户名或密码不正确" in refused.value.message
    console.login("admin", server.admin_password)
    assert "工作概览" in console.get("/console/").text

    cookie = next(c for c in console.session.cookies if c.name == "kiosk_console")
    assert cookie.path == "/console" and cookie.has_nonstandard_attr("httponly")
    console.logout()
    assert urls_path(console.get("/console/checkins").url) == "/console/login"


def urls_path(url: str) -> str:
    return requests.utils.urlparse(url).path


def test_forms_without_the_csrf_token_are_refused(server, admin):
    forged = admin.session.post(server.base_url + "/console/centres", data={"name": "伪造中心"},
                                timeout=5)
    assert forged.status_code == 403 and "刷新页面" in forged.text
    assert _counts(server.database_url)[0] == 0


def test_bad_input_is_explained_in_chinese_and_writes_nothing(server, admin):
    centre = admin.create_centre("城关司法所")
    admin.create_person(centre, "张三", make_id_number(7), "缓刑")
    admin.create_staff("wangwu", "long-enough-pw", "staff", centre)
    before = _counts(server.database_url)
    person = {"centre_id": centre, "name": "李四", "id_number": make_id_number(8),
              "case_type": "假释", "obligation": ""}
    cases = [
        (admin.create_centre, {"name": "  "}, "请填写矫正中心名称"),
        (admin.create_centre, {"name": "城关司法所"}, "已有名为"),
        (admin.create_centre, {"name": "新\x00中心"}, "控制字符"),
        (admin.create_person, dict(person, name="张" * 101), "内容太长"),
        (admin.create_person, dict(person, obligation="每周\x00报到"), "控制字符"),
        (admin.create_person, dict(person, name=""), "请填写矫正对象姓名"),
        (admin.create_person, dict(person, id_number="12345"), "身份证号码应为18位"),
        (admin.create_person, dict(person, id_number=with_wrong_check_character(make_id_number(8))), "校验位不正确"),
        (admin.create_person, dict(person, id_number="110101" + "19801341" + "0012"), "出生日期无效"),
        (admin.create_person, dict(person, id_number=make_id_number(7)), "已经登记过"),
        (admin.create_person, dict(person, case_type="拘役"), "请选择矫正类别"),
        (admin.create_person, dict(person, centre_id=99999), "不存在"),
        (admin.create_staff, {"username": "wangwu", "password": "long-enough-pw", "role": "staff",
                              "centre_id": centre}, "已被使用"),
        (admin.create_staff, {"username": "zhaoliu", "password": "short", "role": "staff",
                              "centre_id": centre}, "密码至少需要 8 位"),
        (admin.create_staff, {"username": "zhaoliu", "password": "long-enough-pw", "role": "staff",
                              "centre_id": None}, "必须选择所属矫正中心"),
        (admin.create_staff, {"username": "", "password": "long-enough-pw", "role": "staff",
                              "centre_id": centre}, "请填写用户名"),
    ]
    for action, fields, message in cases:
        with pytest.raises(ConsoleError) as refused:
            action(**fields)
        assert refused.value.status == 400, fields
        assert message in refused.value.message, (fields, refused.value.message)
    assert _counts(server.database_url) == before


def test_centre_staff_see_only_their_own_centre(world):
    server = world.server
    world.terminal.post_events(
        event("checkin", world.person_a, match_score=0.93, snapshot_jpeg_b64=b64(jpeg_bytes())),
        event("leave_request", world.person_a, key="leave-a-000001", destination="上海",
              start_date="2025-07-01", end_date="2025-07-02", reason="办理社保"))
    world.admin.create_staff("staff_b", "password-b-123", "staff", world.centre_b)
    staff_b = StaffConsole(server.base_url)
    staff_b.login("staff_b", "password-b-123")

    assert [p["name"] for p in staff_b.persons()] == ["李四"]
    assert staff_b.checkins() == [] and staff_b.pending_leaves() == []
    assert staff_b.terminals() == []
    checkin_id = world.admin.checkins()[0]["id"]
    photo = staff_b.session.get(server.base_url + f"/console/checkins/{checkin_id}/snapshot",
                                timeout=5)
    assert photo.status_code == 404

    with pytest.raises(ConsoleError):
        staff_b.decide_leave("leave-a-000001", approve=True)
    with pytest.raises(ConsoleError):
        staff_b.create_token(world.centre_a)
    with pytest.raises(ConsoleError):
        staff_b.create_person(world.centre_a, "王五", make_id_number(9), "管制")
    with pytest.raises(ConsoleError) as forbidden:
        staff_b.get("/console/centres")
    assert forbidden.value.status == 403
    with pytest.raises(ConsoleError):
        staff_b.revoke_terminal(world.terminal.terminal_id)
    terminal_row = world.admin.terminals()[0]["id"]
    with pytest.raises(ConsoleError) as hidden:
        staff_b.post(f"/console/terminals/{terminal_row}/revoke")
    assert hidden.value.status == 404

    assert world.admin.pending_leaves() == ["leave-a-000001"]  # nothing was decided
    assert world.admin.terminals()[0]["revoked"] == "no"
    own = staff_b.create_person(world.centre_b, "王五", make_id_number(9), "管制")
    assert {p["id"] for p in staff_b.persons()} == {str(world.person_b), str(own)}
    assert staff_b.create_token(world.centre_b)


def test_staff_actions_are_audited(world):
    db = Database(world.server.database_url)
    try:
        with db.session() as session:
            actions = {a for (a,) in session.execute(select(AuditEntry.action))}
    finally:
        db.dispose()
    assert {"login", "centre_create", "person_create", "enrol_token_create"} <= actions


def test_the_console_switches_to_english(server, admin):
    zh = admin.get("/console/persons").text
    assert "社区矫正对象" in zh and 'lang="zh-CN"' in zh
    admin.get("/console/lang?to=en&next=/console/persons")
    en = admin.get("/console/persons").text
    assert "Supervised persons" in en and 'lang="en"' in en and "社区矫正对象" not in en
    with pytest.raises(ConsoleError) as refused:
        admin.create_centre("")
    assert refused.value.message == "Enter the centre's name."
    outside = admin.session.get(server.base_url + "/console/lang?to=en&next=https://evil.example/",
                                allow_redirects=False, timeout=5)
    assert outside.headers["location"] == "/console/"


def test_unknown_console_pages_are_explained(admin, server):
    with pytest.raises(ConsoleError) as missing:
        admin.get("/console/nothing-here")
    assert missing.value.status == 404 and "找不到" in missing.value.message


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_session_expires(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_CENTRAL_SESSION_MAX_AGE_S", "1")
    base_url, password, stop = start_server(database_url, tmp_path / "data")
    try:
        console = StaffConsole(base_url)
        console.login("admin", password)
        time.sleep(2.1)
        assert urls_path(console.get("/console/").url) == "/console/login"
    finally:
        stop()
