"""Reporting plans in the console and the roster (issue item 1), on SQLite and PostgreSQL.

Staff set a person's plan and judgment-effective date; missed windows and late first
reports (Community Correction Law Art 21) are listed, counted on the dashboard and
exported; the terminal's roster carries the plan. One server per database, its clock
frozen on Wednesday 2026-12-09 12:00 in Shanghai. Check-ins are posted by a signed
terminal at Shanghai wall-clock times, so the local date (not UTC's) decides a window.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server_api.server.db import Database
from server_api.server.models import AuditEntry
from tests.server.central_helpers import TerminalClient, enrol, event
from tests.server.module_server import DATABASES, FakeClock, module_database
from tests.staff_console import ConsoleError, StaffConsole, make_id_number, start_server

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 9, 12, 0, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)
PASSWORD = "password-123456"


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> str:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).isoformat()


@dataclass
class World:
    admin: StaffConsole
    staff_a: StaffConsole
    staff_b: StaffConsole
    terminal: TerminalClient
    database_url: str
    persons: dict[str, int] = field(default_factory=dict)


def _plan(console: StaffConsole, person: int, **fields) -> None:
    data = {"kind": "none", "start": "", "window_days": "7", "weekday": "0", "month_day": "1",
            "dates": "", "effective": ""}
    data.update(fields)
    console.post(f"/console/persons/{person}/plan", data)


@pytest.fixture(scope="module", params=DATABASES)
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plans")
    with module_database(request.param, tmp_path_factory) as url:
        clock = FakeClock(NOW)
        base_url, password, stop = start_server(url, tmp / "data", clock=clock)
        try:
            yield _seed(base_url, password, clock, url)
        finally:
            stop()


def _seed(base_url: str, password: str, clock: FakeClock, url: str) -> World:
    admin = StaffConsole(base_url)
    admin.login("admin", password)
    centre_a, centre_b = admin.create_centre("城关司法所"), admin.create_centre("河西司法所")
    admin.create_staff("staff-a", PASSWORD, "staff", centre_a)
    admin.create_staff("staff-b", PASSWORD, "staff", centre_b)
    staff_a, staff_b = StaffConsole(base_url), StaffConsole(base_url)
    staff_a.login("staff-a", PASSWORD)
    staff_b.login("staff-b", PASSWORD)
    answer = enrol(base_url, admin.create_token(centre_a), "大厅一号机").json()
    terminal = TerminalClient(base_url, answer["terminal_id"], answer["secret"], centre_a)
    terminal.auth.clock_offset_s = (clock.now - dt.datetime.now(dt.timezone.utc)).total_seconds()
    world = World(admin, staff_a, staff_b, terminal, url)
    for serial, name in enumerate(("张三", "王五", "赵六", "孙七", "周八"), start=1):
        world.persons[name] = admin.create_person(centre_a, name, make_id_number(serial), "缓刑")
    p = world.persons
    # 张三: weekly, due Saturday, window 7 days, from Monday 23 Nov.
    _plan(staff_a, p["张三"], kind="weekly", start="2026-11-23", window_days="7", weekday="5")
    # 王五: monthly, due on the 30th, window 5 days, from 1 Oct; never checks in.
    _plan(staff_a, p["王五"], kind="monthly", start="2026-10-01", window_days="5",
          month_day="30")
    # Art 21: effective 20 Nov -> the first report is due by 30 Nov (day 10).
    _plan(staff_a, p["赵六"], effective="2026-11-20")
    _plan(staff_a, p["孙七"], effective="2026-11-20")
    _plan(staff_a, p["周八"], effective="2026-11-25")  # never reports: due by 5 Dec
    events = [
        # 张三: Saturday 28 Nov 23:30, the last day of the first window: fulfils it.
        {**event("checkin", p["张三"], match_score=0.9), "occurred_at": local(2026, 11, 28, 23, 30)},
        # 00:10 on Sunday 6 Dec in Shanghai (still 5 Dec in UTC): one day after the second
        # window, so that window is missed.
        {**event("checkin", p["张三"], match_score=0.9), "occurred_at": local(2026, 12, 6, 0, 10)},
        {**event("checkin", p["赵六"], match_score=0.9), "occurred_at": local(2026, 11, 30)},
        {**event("checkin", p["孙七"], match_score=0.9), "occurred_at": local(2026, 12, 1)},
    ]
    # 王五 was away on an approved leave over the window ending 30 Oct.
    events.append({**event("leave_request", p["王五"], key="leave-wangwu-1",
                           destination="上海市", start_date="2026-10-28",
                           end_date="2026-11-02", reason="就医"),
                   "occurred_at": local(2026, 10, 20)})
    results = terminal.post_events(*events).json()["results"]
    assert [r["status"] for r in results] == ["stored"] * 5, results
    admin.decide_leave("leave-wangwu-1", approve=True)
    return world


def _rows(console: StaffConsole, path: str) -> list[dict[str, str]]:
    return console.rows(path)


def _audits(world: World, action: str) -> list[tuple[str, str]]:
    db = Database(world.database_url)
    try:
        with db.session() as session:
            return [(a.target, a.detail) for a in session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]
    finally:
        db.dispose()


def test_a_missed_window_is_listed_and_the_last_day_of_a_window_counts(world):
    p = world.persons
    rows = [r for r in _rows(world.staff_a, "/console/reporting?from=")
            if r["person-id"] == str(p["张三"])]
    # The window ending Saturday 28 Nov was kept (check-in at 23:30 that day); the one
    # ending 5 Dec was missed: the check-in at 00:10 on 6 Dec came one day late.
    assert [(r["opens"], r["due"], r["reported-after"], r["days"]) for r in rows] == [
        ("2026-11-29", "2026-12-05", "2026-12-06", "1")]


def test_still_missing_counts_on_the_dashboard_and_filters_the_list(world):
    p = world.persons
    open_rows = _rows(world.staff_a, "/console/reporting?status=open&from=")
    # 王五 missed 30 Oct and 30 Nov and never reported; 张三 reported since.
    assert [(r["person-id"], r["due"]) for r in open_rows] == [(str(p["王五"]), "2026-11-30")]
    all_rows = _rows(world.staff_a, "/console/reporting?from=")
    assert sorted((r["person-id"], r["due"]) for r in all_rows) == sorted([
        (str(p["王五"]), "2026-10-30"), (str(p["王五"]), "2026-11-30"),
        (str(p["张三"]), "2026-12-05")])
    # a window overlapping an approved leave is marked for staff to weigh, not dropped
    assert sorted((r["due"], r["on-leave"]) for r in all_rows if r["person-id"] == str(p["王五"])) \
        == [("2026-10-30", "yes"), ("2026-11-30", "no")]
    # the due-date filter
    assert [r["due"] for r in _rows(world.staff_a, "/console/reporting?from=2026-11-01&to=2026-11-30")] \
        == ["2026-11-30"]
    page = world.staff_a.get("/console/").text
    assert 'id="reporting-missed-count" data-count="1"' in page
    assert 'id="reporting-missed-count" data-count="0"' in world.staff_b.get("/console/").text


def test_art21_first_report_on_day_11_is_flagged_day_10_is_not(world):
    p = world.persons
    rows = {r["person-id"]: r for r in _rows(world.staff_a, "/console/reporting?list=first")}
    assert str(p["赵六"]) not in rows  # first report on day 10 (30 Nov): in time
    assert rows[str(p["孙七"])]["days"] == "1"  # day 11 (1 Dec)
    assert rows[str(p["孙七"])]["reported"] == "2026-12-01"
    assert (rows[str(p["周八"])]["deadline"], rows[str(p["周八"])]["reported"],
            rows[str(p["周八"])]["days"]) == ("2026-12-05", "", "4")
    page = world.staff_a.get(f"/console/persons/{p['孙七']}/plan").text
    assert 'data-late="yes"' in page and "首次报到超过法定10日" in page


def test_the_roster_carries_the_plan_and_the_last_checkin(world):
    roster = world.terminal.get("/terminal/roster").json()
    by_id = {person["id"]: person for person in roster["persons"]}
    zhang = by_id[world.persons["张三"]]
    assert zhang["reporting_plan"] == {"kind": "weekly", "start": "2026-11-23",
                                       "window_days": 7, "due_day": 5, "dates": []}
    last = dt.datetime.fromisoformat(zhang["last_checkin_at"].replace("Z", "+00:00"))
    assert last.astimezone(SHANGHAI).date() == dt.date(2026, 12, 6)
    assert by_id[world.persons["周八"]]["reporting_plan"] is None


def test_a_plan_that_cannot_be_kept_is_refused_in_chinese_and_nothing_changes(world):
    person = world.persons["张三"]
    with pytest.raises(ConsoleError) as err:
        _plan(world.staff_a, person, kind="weekly", start="2026-12-01", window_days="8",
              weekday="5")
    assert err.value.status == 400 and "报到窗口天数须在 1 到 7 之间" in str(err.value)
    with pytest.raises(ConsoleError) as err:
        _plan(world.staff_a, person, kind="dates", start="2026-12-01", window_days="3",
              dates="2026-12-10 12月20日")
    assert err.value.status == 400 and "无法识别" in str(err.value)
    page = world.staff_a.get(f"/console/persons/{person}/plan").text
    assert 'data-kind="weekly"' in page and 'data-due="2026-12-12"' in page


def test_plans_are_centre_scoped_and_every_read_and_change_is_audited(world):
    person = world.persons["王五"]
    with pytest.raises(ConsoleError) as err:
        world.staff_b.get(f"/console/persons/{person}/plan")
    assert err.value.status == 404
    with pytest.raises(ConsoleError) as err:
        _plan(world.staff_b, person, kind="weekly", start="2026-12-01", weekday="1")
    assert err.value.status == 404
    assert world.staff_b.rows("/console/reporting?from=") == []
    sets = [t for t, _ in _audits(world, "plan_set")]
    assert f"person:{person}" in sets
    assert sets.count(f"person:{person}") == 1  # the refused change left no trace
    world.staff_a.get(f"/console/persons/{person}/plan")
    assert f"person:{person}" in [t for t, _ in _audits(world, "plan_view")]


def test_the_lists_export_as_csv_audited(world):
    answer = world.staff_a.get("/console/reporting.csv?from=")
    assert answer.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0][:2] == ["矫正对象", "身份证号码"]
    assert sorted((r[0], r[5]) for r in table[1:]) == [
        ("张三", "2026-12-05"), ("王五", "2026-10-30"), ("王五", "2026-11-30")]
    assert all("*" in r[1] for r in table[1:])  # ID numbers masked
    first = world.staff_a.get("/console/reporting.csv?list=first")
    names = [r[0] for r in csv.reader(io.StringIO(first.content.decode("utf-8-sig")))][1:]
    assert sorted(names) == ["周八", "孙七"]
    assert [t for t, _ in _audits(world, "reporting_export")][-2:] == [
        "reporting:missed", "reporting:first"]


def test_removing_the_plan_takes_the_person_off_the_lists(world):
    person = world.persons["王五"]
    _plan(world.staff_a, person, kind="none")
    assert all(r["person-id"] != str(person) for r in _rows(world.staff_a, "/console/reporting?from="))
    _plan(world.staff_a, person, kind="monthly", start="2026-10-01", window_days="5",
          month_day="30")  # put back for any later test
