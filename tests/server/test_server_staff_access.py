"""Staff accounts: sign-in lockout, session expiry, the content-editor role, the audit
log viewer and its append-only guarantee.

One module-scoped pair of servers per database (two "worker processes" on the same
database, sharing a test clock): tests use their own account names and move the clock
past every lockout window first, so they do not disturb each other.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from server_api.server.db import Database
from server_api.server.models import AuditEntry

from tests.server.central_helpers import write_video
from tests.server.module_server import DATABASES, FakeClock, module_database
from tests.staff_console import (
    ConsoleError, StaffConsole, make_id_number, parse_page, start_server,
)

PASSWORD = "password-123456"
# Lower than the defaults (5 and 20) to spare Argon2 checks (about 0.7 s each on a busy
# 2-core machine); set through the environment as an operator would.
ACCOUNT_LIMIT, ADDRESS_LIMIT = 3, 8
LIMITS_ENV = {"KIOSK_CENTRAL_LOGIN_MAX_FAILURES": str(ACCOUNT_LIMIT),
              "KIOSK_CENTRAL_LOGIN_ADDRESS_MAX_FAILURES": str(ADDRESS_LIMIT)}
LOCKED = "登录已暂时锁定"
WRONG = "用户名或密码不正确"


class Servers:
    """Two server processes on one database (as two workers), sharing the test clock."""

    def __init__(self, url: str, database_url: str, other_url: str, password: str,
                 clock: FakeClock) -> None:
        self.url, self.database_url, self.other_url = url, database_url, other_url
        self.admin_password, self.clock = password, clock

    def admin(self) -> StaffConsole:
        console = StaffConsole(self.url)
        console.login("admin", self.admin_password)
        return console

    def attempt(self, username: str, password: str, url: str | None = None) -> requests.Response:
        """One sign-in through the form; the answer page (401, 429 or the redirect)."""
        console = StaffConsole(url or self.url)
        try:
            console.login(username, password)
        except ConsoleError:
            pass
        return console.last


@pytest.fixture(scope="module", params=DATABASES)
def servers(request, tmp_path_factory):
    with module_database(request.param, tmp_path_factory) as database_url, \
            pytest.MonkeyPatch.context() as patch:
        for name, value in LIMITS_ENV.items():
            patch.setenv(name, value)
        clock = FakeClock()
        data_dir = tmp_path_factory.mktemp("central")
        url, password, stop = start_server(database_url, data_dir, clock=clock)
        other_url, _, stop_other = start_server(database_url, data_dir, clock=clock)
        try:
            yield Servers(url, database_url, other_url, password, clock)
        finally:
            stop_other()
            stop()


@pytest.fixture
def env(servers) -> Servers:
    """The servers with every earlier lockout window over."""
    servers.clock.advance(days=1)
    return servers


@pytest.fixture(autouse=True)
def _remember_last_response(monkeypatch):
    """``StaffConsole.last``: the last answer it got, also when it raised ConsoleError."""
    original = StaffConsole._checked

    def checked(self, response):
        self.last = response
        return original(self, response)

    monkeypatch.setattr(StaffConsole, "_checked", checked)


def _error(response: requests.Response) -> str:
    return " ".join(parse_page(response.text).errors).strip()


def _local(moment: dt.datetime) -> str:
    """A time as the console shows it (Asia/Shanghai)."""
    return (moment + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def _audit_rows(admin: StaffConsole, **filters) -> list[dict[str, str]]:
    query = urlencode(filters)
    return [r for r in admin.rows("/console/audit?" + query) if "audit-id" in r]


@pytest.mark.slow
def test_repeated_failures_lock_the_name_whether_or_not_it_exists(env):
    admin = env.admin()
    admin.create_staff("lock_real", PASSWORD, "staff", admin.create_centre("锁定测试中心"))
    start = env.clock.now
    for name in ("lock_real", "lock_ghost"):
        for _ in range(ACCOUNT_LIMIT - 1):
            answer = env.attempt(name, "wrong-password")
            assert answer.status_code == 401 and WRONG in _error(answer)
        last = env.attempt(name, "wrong-password")
        assert last.status_code == 429
        assert _error(last) == (f"登录失败次数过多，登录已暂时锁定，请于 {_local(start + dt.timedelta(minutes=15))}"
                                 " 之后再试。如需提前解锁，请联系管理员。")
    # Locked: even the right password is refused, and on the other worker process too.
    assert env.attempt("lock_real", PASSWORD).status_code == 429
    assert env.attempt("LOCK_REAL ", PASSWORD, env.other_url).status_code == 429
    env.clock.advance(minutes=14)
    assert env.attempt("lock_real", PASSWORD, env.other_url).status_code == 429
    env.clock.advance(minutes=1, seconds=1)
    console = StaffConsole(env.url)
    console.login("lock_real", PASSWORD)
    assert "工作概览" in console.get("/console/").text

    admin = env.admin()
    lockouts = _audit_rows(admin, action="login_lockout")
    assert {r["target"] for r in lockouts} >= {"user:lock_real", "user:lock_ghost"}
    failures = _audit_rows(admin, action="login_failed", target="lock_ghost")
    assert len(failures) == ACCOUNT_LIMIT and all(r["staff"] == "" for r in failures)
    assert len(_audit_rows(admin, action="login_refused_locked", target="lock_real")) == 3


def test_an_administrator_unlocks_an_account_and_it_is_audited(env):
    admin = env.admin()
    account = admin.create_staff("unlock_me", PASSWORD, "staff", admin.create_centre("解锁测试中心"))
    for _ in range(ACCOUNT_LIMIT):
        env.attempt("unlock_me", "wrong-password")
    [row] = [r for r in admin.rows("/console/staff") if r.get("username") == "unlock_me"]
    assert row["locked"] == "yes"
    assert "已锁定至" in admin.get("/console/staff").text
    page = admin.post(f"/console/staff/{account}/unlock")
    assert "已解除账号 unlock_me 的登录锁定。" in page.text
    [row] = [r for r in admin.rows("/console/staff") if r.get("username") == "unlock_me"]
    assert row["locked"] == "no"
    console = StaffConsole(env.other_url)
    console.login("unlock_me", PASSWORD)
    [entry] = _audit_rows(admin, action="staff_unlock", target=f"staff:{account}")
    assert entry["staff"] == "admin"

    # Only an administrator may unlock, and an unknown account is 404.
    with pytest.raises(ConsoleError) as refused:
        console.post(f"/console/staff/{account}/unlock")
    assert refused.value.status == 403
    with pytest.raises(ConsoleError) as missing:
        admin.post("/console/staff/999999/unlock")
    assert missing.value.status == 404


@pytest.mark.slow
def test_one_address_trying_many_names_is_throttled(env):
    admin = env.admin()
    admin.create_staff("spray_victim", PASSWORD, "staff", admin.create_centre("喷洒测试中心"))
    for i in range(ADDRESS_LIMIT - 1):
        assert env.attempt(f"spray{i:02d}", "wrong-password").status_code == 401
    assert env.attempt("spray_last", "wrong-password").status_code == 429
    # Every name from this address is now refused, a real one with its right password too.
    answer = env.attempt("spray_victim", PASSWORD, env.other_url)
    assert answer.status_code == 429 and LOCKED in _error(answer)
    env.clock.advance(minutes=16)
    StaffConsole(env.url).login("spray_victim", PASSWORD)


def test_odd_sign_in_input_is_refused_plainly(env):
    """Control characters and over-long names: a refusal, never a 500, nothing locked."""
    console = StaffConsole(env.url)
    console.get("/console/login")
    for username, password in (("ad\x00min", "x"), ("admin", "pass\x00word"), ("名" * 300, "x")):
        answer = console.session.post(env.url + "/console/login", timeout=10, data={
            "username": username, "password": password, "csrf_token": console._csrf})
        assert answer.status_code in (401, 422), (username[:8], answer.status_code)
        assert "text/html" in answer.headers["content-type"]
    StaffConsole(env.url).login("admin", env.admin_password)


def _expired(console: StaffConsole) -> bool:
    page = console.get("/console/persons")
    if urls_path(page.url) != "/console/login":
        return False
    assert "登录已超时，请重新登录。" in page.text
    return True


def urls_path(url: str) -> str:
    return requests.utils.urlparse(url).path


def test_a_session_ends_after_30_idle_minutes(env):
    console = env.admin()
    for _ in range(3):  # activity keeps it alive: the idle timeout slides
        env.clock.advance(minutes=29)
        assert not _expired(console)
    env.clock.advance(minutes=30, seconds=1)
    assert _expired(console)
    # The sign-in page's form works again, and leads back to the page asked for.
    console.login("admin", env.admin_password)
    assert not _expired(console)


def test_a_session_ends_8_hours_after_sign_in_even_when_busy(env):
    console = env.admin()
    for _ in range(16):  # 16 x 29 min = 7 h 44 min
        env.clock.advance(minutes=29)
        assert not _expired(console)
    env.clock.advance(minutes=17)
    assert _expired(console)


def test_a_content_editor_sees_the_lesson_library_and_nothing_of_persons(env, tmp_path):
    admin = env.admin()
    centre = admin.create_centre("编辑测试中心")
    admin.create_staff("editor_li", PASSWORD, "editor", centre)
    [row] = [r for r in admin.rows("/console/staff") if r.get("username") == "editor_li"]
    assert row["role"] == "editor"
    assert "内容编辑（仅教育课程）" in admin.get("/console/staff").text

    editor = StaffConsole(env.url)
    editor.get("/console/login")
    landed = editor.post("/console/login", {"username": "editor_li", "password": PASSWORD,
                                            "next": "/console/"})
    assert urls_path(landed.url) == "/console/lessons"
    nav = re.findall(r'<nav>(.*?)</nav>', landed.text, re.S)[0]
    assert "教育学习" in nav and "矫正对象" not in nav and "首页" not in nav
    lesson = editor.upload_lesson("法律常识第一课", write_video(tmp_path / "lesson.mp4"))
    assert lesson in [int(r["id"]) for r in editor.rows("/console/lessons")]
    for path in ("/console/persons", "/console/checkins", "/console/leaves",
                 "/console/verifications", "/console/terminals", "/console/audit"):
        with pytest.raises(ConsoleError) as refused:
            editor.get(path)
        assert refused.value.status == 403 and "您的角色无权访问此页面" in refused.value.message
    person = admin.create_person(centre, "周七", make_id_number(61), "缓刑")
    with pytest.raises(ConsoleError) as refused:
        editor.assign_lesson(lesson, person)
    assert refused.value.status == 403
    assert "周七" in admin.get("/console/lessons").text
    assert "周七" not in editor.get("/console/lessons").text


def test_the_audit_log_viewer_filters_pages_and_exports_for_excel(env):
    admin = env.admin()
    centre = admin.create_centre("日志测试中心")
    admin.create_staff("audit_staff", PASSWORD, "staff", centre)
    staff = StaffConsole(env.url)
    staff.login("audit_staff", PASSWORD)
    with pytest.raises(ConsoleError) as refused:
        staff.get("/console/audit")
    assert refused.value.status == 403
    with pytest.raises(ConsoleError):
        staff.get("/console/audit.csv")

    day = dt.datetime.combine(env.clock.now.date() + dt.timedelta(days=3), dt.time(2),
                              dt.timezone.utc)  # 10:00 in Shanghai
    db = Database(env.database_url)
    try:
        with db.session() as session:
            session.add_all(AuditEntry(at=day + dt.timedelta(minutes=i), staff_id=None,
                                       action="viewer_probe", target=f"person:{9000 + i}",
                                       detail=f"probe {i}") for i in range(120))
            session.add(AuditEntry(at=day + dt.timedelta(days=2), staff_id=None,
                                   action="viewer_probe", target="person:=1+2",
                                   detail="=HYPERLINK(\"x\")"))
    finally:
        db.dispose()
    local_day = (day + dt.timedelta(hours=8)).date().isoformat()
    page1 = _audit_rows(admin, action="viewer_probe", date_from=local_day, date_to=local_day)
    assert len(page1) == 50 and page1[0]["target"] == "person:9119"
    text = admin.get(f"/console/audit?action=viewer_probe&date_from={local_day}"
                     f"&date_to={local_day}").text
    assert "共 120 条，第 1/3 页" in text
    page3 = _audit_rows(admin, action="viewer_probe", date_from=local_day, date_to=local_day,
                        page=3)
    assert [r["target"] for r in page3] == [f"person:{9000 + i}" for i in range(19, -1, -1)]
    assert [r["target"] for r in _audit_rows(admin, target="person:9042")] == ["person:9042"]
    assert [r["target"] for r in _audit_rows(admin, staff="none", target="=1+2")] == ["person:=1+2"]
    assert len(_audit_rows(admin, action="viewer_probe")) == 50
    mine = _audit_rows(admin, staff=_staff_id(admin, "audit_staff"))
    assert [r["action"] for r in mine] == ["login"]

    with pytest.raises(ConsoleError) as bad:
        admin.get("/console/audit?date_from=2026-13-01")
    assert bad.value.status == 400 and "年-月-日" in bad.value.message
    with pytest.raises(ConsoleError) as bad:
        admin.get("/console/audit?date_from=2026-03-05&date_to=2026-03-01")
    assert "截止日期不能早于起始日期" in bad.value.message

    export = admin.session.get(env.url + "/console/audit.csv?action=viewer_probe", timeout=10)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "时间", "工作人员", "操作", "操作代码", "对象", "详情"]
    assert len(rows) == 1 + 121
    assert rows[1][3:] == ["viewer_probe", "viewer_probe", "person:=1+2", "'=HYPERLINK(\"x\")"]
    assert rows[2][3:] == ["viewer_probe", "viewer_probe", "person:9119", "probe 119"]
    assert rows[1][2] == "（未登录）"
    export_log = admin.get("/console/audit?action=audit_export").text
    assert "action=viewer_probe rows=121" in export_log and "导出操作日志" in export_log
    login_rows = list(csv.reader(io.StringIO(admin.session.get(
        env.url + "/console/audit.csv?action=login", timeout=10).content.decode("utf-8-sig"))))
    assert login_rows[1][2:5] == ["audit_staff", "登录", "login"]


def _staff_id(admin: StaffConsole, username: str) -> str:
    [row] = [r for r in admin.rows("/console/staff") if r.get("username") == username]
    return row["id"]


def test_the_database_refuses_to_change_or_delete_audit_entries(env):
    db = Database(env.database_url)
    try:
        with db.session() as session:
            entry = AuditEntry(at=env.clock.now, staff_id=None, action="trigger_probe",
                               target="person:1", detail="kept")
            session.add(entry)
        for statement in (update(AuditEntry).where(AuditEntry.id == entry.id)
                          .values(detail="changed"),
                          delete(AuditEntry).where(AuditEntry.id == entry.id),
                          delete(AuditEntry)):
            with pytest.raises(DBAPIError) as refused:
                with db.session() as session:
                    session.execute(statement)
            assert "append-only" in str(refused.value)
        if db.dialect == "postgresql":
            with pytest.raises(DBAPIError):
                with db.session() as session:
                    session.execute(text("TRUNCATE audit_log CASCADE"))
        with db.session() as session:
            assert session.get(AuditEntry, entry.id).detail == "kept"
    finally:
        db.dispose()
