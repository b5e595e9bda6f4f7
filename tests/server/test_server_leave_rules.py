"""The server enforces the leave rules (Art 27; keys of the centre's terminal configuration)
with a stable error code, routes a long leave to the county level, and flags a missed
return after the centre's ``leave_return_days``. One server per database (SQLite and
PostgreSQL) for the module; each test sets the configuration it needs first."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.server.central_helpers import event, provisioned_terminal
from tests.server.module_server import DATABASES, FakeClock, module_database
from tests.staff_console import ConsoleError, StaffConsole, make_id_number, start_server

CHINA = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=CHINA).astimezone(dt.timezone.utc)


class World:
    pass


@pytest.fixture(scope="module", params=DATABASES)
def world(request, tmp_path_factory):
    with module_database(request.param, tmp_path_factory) as url:
        clock = FakeClock(NOW)
        base_url, password, stop = start_server(url, tmp_path_factory.mktemp("data"),
                                                clock=clock)
        try:
            w = World()
            w.admin = StaffConsole(base_url)
            w.admin.login("admin", password)
            w.centre = w.admin.create_centre("城关司法所")
            w.persons = [w.admin.create_person(w.centre, name, make_id_number(i), "缓刑")
                         for i, name in enumerate(("张三", "王五", "赵六", "钱七"), 1)]
            w.admin.create_staff("staff_a", "staff-a-password-1", "staff", w.centre)
            w.staff = StaffConsole(base_url)
            w.staff.login("staff_a", "staff-a-password-1")
            w.terminal = provisioned_terminal(base_url, w.admin.create_token(w.centre))
            # The server's clock stands still at NOW: signatures are made on its time.
            offset = NOW - dt.datetime.now(dt.timezone.utc)
            w.terminal.auth.clock_offset_s = offset.total_seconds()
            yield w
        finally:
            stop()


def configure(world, **values) -> None:
    """The centre's configuration (keys not given are inherited from the defaults)."""
    world.admin.post(f"/console/fleet/centres/{world.centre}/config",
                     {k: str(v) for k, v in values.items()})


def leave(world, person: int, start: dt.date, end: dt.date, filed: dt.datetime | None = None,
          key: str | None = None) -> tuple[str, str]:
    """File a leave request (in time unless ``filed`` says when); its status and code."""
    body = event("leave_request", person, key=key, destination="江苏省南京市",
                 start_date=start.isoformat(), end_date=end.isoformat(), reason="探亲")
    if filed is not None:
        body["occurred_at"] = filed.isoformat()
    answer = world.terminal.post_events(body)
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    return result["status"], result["code"]


def leaves_rows(console: StaffConsole) -> dict[str, dict]:
    return {r["key"]: r for r in console.rows("/console/leaves?status=")}


def test_leave_max_days_server_stores_seven_days_refuses_eight(world):
    configure(world, leave_max_days=7)
    form = world.admin.get(f"/console/fleet/centres/{world.centre}/config").text
    assert "单次外出最长天数" in form and "司法所（中心）可审批的最长天数" in form
    with pytest.raises(ConsoleError) as bad:  # a bad value is refused, naming the field
        configure(world, leave_max_days=0)
    assert bad.value.status == 400 and "单次外出最长天数" in bad.value.message
    start = dt.date(2027, 1, 4)
    assert leave(world, world.persons[0], start, start + dt.timedelta(days=7)) == (
        "rejected", "leave_rule_max_days")
    assert leave(world, world.persons[0], start, start + dt.timedelta(days=6)) == ("stored", "")


def test_leave_apply_days_ahead_judged_on_the_filing_day_in_china(world):
    configure(world)
    start = dt.date(2027, 2, 5)
    # 16:30 UTC on 2 Feb is already 3 Feb in China: two days ahead, one day too late.
    late = dt.datetime(2027, 2, 2, 16, 30, tzinfo=dt.timezone.utc)
    assert leave(world, world.persons[0], start, start, filed=late) == (
        "rejected", "leave_rule_apply_ahead")
    in_time = dt.datetime(2027, 2, 2, 15, 30, tzinfo=dt.timezone.utc)  # 23:30 on 2 Feb
    assert leave(world, world.persons[0], start, start, filed=in_time) == ("stored", "")


def test_leave_max_per_month_cap_reached_then_a_rejection_frees_a_place(world):
    configure(world, leave_max_per_month=2)
    person = world.persons[1]
    keys = [f"month-cap-{n:04d}" for n in range(3)]
    for key, first in zip(keys, (1, 10)):
        assert leave(world, person, dt.date(2027, 3, first), dt.date(2027, 3, first + 1),
                     key=key)[0] == "stored"
    assert leave(world, person, dt.date(2027, 3, 20), dt.date(2027, 3, 21), key=keys[2]) == (
        "rejected", "leave_rule_month_count")
    assert leave(world, person, dt.date(2027, 4, 1), dt.date(2027, 4, 2))[0] == "stored"
    world.admin.decide_leave(keys[0], approve=False, note="材料不全")
    assert leave(world, person, dt.date(2027, 3, 20), dt.date(2027, 3, 21), key=keys[2]) == (
        "stored", "")


def test_leave_centre_max_days_routes_eight_days_to_the_county_level(world):
    configure(world)
    person = world.persons[2]
    seven = leave(world, person, dt.date(2027, 5, 3), dt.date(2027, 5, 9), key="route-centre-7")
    eight = leave(world, person, dt.date(2027, 6, 1), dt.date(2027, 6, 8), key="route-county-8")
    assert seven[0] == eight[0] == "stored"
    rows = leaves_rows(world.staff)
    centre, county = rows["route-centre-7"], rows["route-county-8"]
    assert (centre["level"], centre["may-decide"]) == ("centre", "yes")
    assert (county["level"], county["may-decide"]) == ("county", "no")
    page = world.staff.get("/console/leaves").text
    assert "需县级审批" in page and "需县级社区矫正机构（管理员账号）审批" in page
    with pytest.raises(ConsoleError) as refused:
        world.staff.decide_leave("route-county-8", approve=True)
    assert refused.value.status == 400 and "需县级社区矫正机构审批" in refused.value.message
    assert leaves_rows(world.admin)["route-county-8"]["may-decide"] == "yes"
    world.staff.decide_leave("route-centre-7", approve=True)
    world.admin.decide_leave("route-county-8", approve=True)
    rows = leaves_rows(world.staff)
    assert rows["route-centre-7"]["status"] == rows["route-county-8"]["status"] == "approved"


def overdue_keys(console: StaffConsole) -> dict[str, str]:
    return {r["key"]: r["due"] for r in console.rows("/console/overdue?list=returns")}


def dashboard_count(console: StaffConsole) -> int:
    html = console.get("/console/").text
    return int(re.search(r'id="overdue-returns-count" data-count="(\d+)"', html).group(1))


def test_leave_return_days_a_return_one_day_late_is_flagged(world):
    """Today is 2 Dec in China. With leave_return_days 2, a leave ending 30 Nov is due
    today (not flagged), one ending 29 Nov was due yesterday (flagged, one day late)."""
    configure(world, leave_return_days=2)
    person = world.persons[3]
    for key, start, end in (("ret-due-today", dt.date(2026, 11, 20), dt.date(2026, 11, 30)),
                            ("ret-one-day-late", dt.date(2026, 11, 10), dt.date(2026, 11, 29))):
        assert leave(world, person, start, end, key=key)[0] == "stored"
        world.admin.decide_leave(key, approve=True)
    assert overdue_keys(world.staff) == {"ret-one-day-late": "2026-12-01"}
    assert "结束日期后 2 天内仍未销假" in world.staff.get("/console/overdue?list=returns").text
    assert dashboard_count(world.staff) == 1
    configure(world)  # the default, 1 day: both are late now
    assert overdue_keys(world.staff) == {"ret-one-day-late": "2026-11-30",
                                         "ret-due-today": "2026-12-01"}
    assert dashboard_count(world.staff) == 2
    # 销假 closes the leave: off the list
    back = event("leave_return", person, leave_key="ret-due-today")
    assert world.terminal.post_events(back).json()["results"][0]["status"] == "stored"
    assert list(overdue_keys(world.staff)) == ["ret-one-day-late"]
