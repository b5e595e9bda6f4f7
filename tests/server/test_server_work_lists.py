"""Staff work lists (issue 4): check-ins, overdue, leaves, verification failures and
enrolment status, each filtered, scoped to the staff member's centre, paginated, and
exported as CSV (audited, ID numbers masked).

One server per database for the whole module (SQLite and PostgreSQL), seeded once by
``work_lists_seed``; the tests only read, except that exports add audit rows.
"""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from server_api.names import mask_id_number
from server_api.server.db import Database
from server_api.server.models import AuditEntry
from tests.server.module_server import DATABASES, FakeClock, module_database
from tests.server.work_lists_seed import BULK, NOW, Seed, seed
from tests.staff_console import ConsoleError, StaffConsole, start_server


@pytest.fixture(scope="module", params=DATABASES)
def lists(request, tmp_path_factory):
    """The seeded world on a fresh database, with its URL for reading the audit log."""
    tmp = tmp_path_factory.mktemp("work-lists")
    with module_database(request.param, tmp_path_factory) as url:
        clock = FakeClock(NOW)
        base_url, password, stop = start_server(url, tmp / "data", clock=clock)
        try:
            world = seed(base_url, password, clock)
            world.database_url = url
            yield world
        finally:
            stop()


def rows(console: StaffConsole, path: str, **query) -> list[dict[str, str]]:
    return console.rows(path + ("?" + urlencode(query) if query else ""))


def names(console: StaffConsole, path: str, key: str = "person", **query) -> list[str]:
    return [r[key] for r in rows(console, path, **query) if key in r]


def export(console: StaffConsole, path: str, **query) -> list[list[str]]:
    answer = console.get(path + ("?" + urlencode(query) if query else ""))
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode("utf-8"))  # Excel reads it as UTF-8
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def audits(world: Seed, action: str) -> list[tuple[int, str, str]]:
    db = Database(world.database_url)
    try:
        with db.session() as session:
            return [(a.staff_id, a.target, a.detail) for a in session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]
    finally:
        db.dispose()


# -- check-ins ------------------------------------------------------------------------------

def test_checkins_filter_by_local_date_person_and_terminal(lists):
    admin, a = lists.admin, lists.staff_a
    # 00:10 on 16 June in Shanghai is still 15 June in UTC: the local date counts.
    assert names(a, "/console/checkins", **{"from": "2025-06-16", "to": "2025-06-16"}) == ["张三"]
    day15 = rows(a, "/console/checkins", **{"from": "2025-06-15", "to": "2025-06-15"})
    assert [(r["person"], r["time"][:16]) for r in day15] == [("张三", "2025-06-15T15:30")]
    assert names(a, "/console/checkins", person="张三") == ["张三"] * 3
    assert names(a, "/console/checkins", person="王小") == ["王小明"]
    assert names(a, "/console/checkins", person=lists.ids["王小明"][-4:]) == ["王小明"]
    assert names(a, "/console/checkins", terminal=lists.terminals["大厅二号机"]) == ["张三"]
    assert names(a, "/console/checkins", person="李四") == []  # another centre's person
    assert names(admin, "/console/checkins", person="李四") == ["李四"]
    assert names(admin, "/console/checkins", centre=lists.centre_b) == ["李四"]
    assert set(names(admin, "/console/checkins", **{"from": "2025-06-01", "to": "2025-06-01"})) \
        == {"张三", "李四"}


def test_checkins_page_through_and_counts_per_day_and_person(lists):
    a = lists.staff_a
    first = a.get("/console/checkins?person=钱九").text
    assert 'data-total="55"' in first and 'data-pages="2"' in first
    assert len(names(a, "/console/checkins", person="钱九")) == 50
    assert len(names(a, "/console/checkins", person="钱九", page=2)) == BULK - 50
    per_day = rows(a, "/console/checkins", view="day", **{"from": "2025-04-01"})
    assert [(r["day"], int(r["count"]), int(r["persons"])) for r in per_day] == [
        ("2025-06-16", 1, 1), ("2025-06-15", 1, 1), ("2025-06-05", 1, 1), ("2025-06-01", 1, 1),
        ("2025-04-01", BULK, 1)]
    per_person = rows(a, "/console/checkins", view="person")
    assert {(r["person"], int(r["count"])) for r in per_person} == {
        ("张三", 3), ("王小明", 1), ("钱九", BULK)}
    admin_days = rows(lists.admin, "/console/checkins", view="day",
                      **{"from": "2025-06-01", "to": "2025-06-01"})
    assert [(r["day"], int(r["count"]), int(r["persons"])) for r in admin_days] == [
        ("2025-06-01", 2, 2)]


def test_checkin_export_is_masked_local_and_audited(lists):
    table = export(lists.staff_a, "/console/checkins.csv", person="张三")
    assert table[0][:4] == ["报到时间", "矫正对象", "身份证号码", "矫正中心"]
    assert [r[:4] for r in table[1:]] == [
        ["2025-06-16 00:10:00", "张三", mask_id_number(lists.ids["张三"]), "城关司法所"],
        ["2025-06-15 23:30:00", "张三", mask_id_number(lists.ids["张三"]), "城关司法所"],
        ["2025-06-01 09:00:00", "张三", mask_id_number(lists.ids["张三"]), "城关司法所"]]
    assert lists.ids["张三"] not in str(table)
    days = export(lists.staff_a, "/console/checkins.csv", view="day", **{"from": "2025-06-15"})
    assert days == [["日期", "报到次数", "报到人数"], ["2025-06-16", "1", "1"],
                    ["2025-06-15", "1", "1"]]
    [_, (staff_id, target, detail)] = audits(lists, "checkin_export")[-2:]
    assert target == "checkins:day" and "from=2025-06-15" in detail and "rows=2" in detail
    assert staff_id is not None


def test_bad_filter_values_are_explained_not_crashed(lists):
    with pytest.raises(ConsoleError) as bad_date:
        lists.staff_a.get("/console/checkins?from=2025-13-40")
    assert bad_date.value.status == 400 and "2025-13-40" in bad_date.value.message
    with pytest.raises(ConsoleError) as reversed_range:
        lists.staff_a.get("/console/leaves?from=2025-06-10&to=2025-06-01")
    assert "结束日期早于开始日期" in reversed_range.value.message
    with pytest.raises(ConsoleError) as bad_days:
        lists.staff_a.get("/console/overdue?days=abc")
    assert "天数须为 1 到 366" in bad_days.value.message
    with pytest.raises(ConsoleError) as bad_export:
        lists.staff_a.get("/console/checkins.csv?to=yesterday")
    assert bad_export.value.status == 400  # an error page, not a CSV


def test_odd_filter_values_never_break_a_list(lists):
    odd = [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "9999-12-31"}, {"page": "0"},
           {"page": "99999999999"}, {"centre": "-1"}, {"centre": "99999999999"},
           {"centre": "x"}, {"person": "%_\\"}, {"person": "a\x00b"}, {"person": "9" * 60},
           {"terminal": "abc"}, {"days": "0"}, {"days": "367"}, {"view": "x"}, {"list": "x"},
           {"status": "x"}, {"reason": "x"}, {"incomplete": "maybe"}, {"reviewed_page": "-2"}]
    paths = ["/console/checkins", "/console/overdue", "/console/leaves", "/console/verifications",
             "/console/enrolment"]
    for path in paths:  # as admin: the only one whose centre filter is read
        for suffix in ("", ".csv"):
            for query in odd:
                answer = lists.admin.session.get(lists.base_url + path + suffix + "?" +
                                                 urlencode(query), timeout=15)
                assert answer.status_code in (200, 400), (path + suffix, query)
                if answer.status_code == 400:  # explained on the page, not a CSV
                    assert 'role="alert"' in answer.text, (path + suffix, query)


# -- overdue --------------------------------------------------------------------------------

def test_overdue_reporting_counts_from_last_checkin_or_registration(lists):
    a = lists.staff_a
    default = {r["person"]: (int(r["days"]), r["never"], r["on-leave"])
               for r in rows(a, "/console/overdue")}
    # 钱九 checked in on 1 April (and is away on an approved leave today), 赵六 never
    # (registered 20 days ago), 王小明 11 days ago; 孙七 was registered 2 days ago,
    # 周八 was removed.
    assert default == {"钱九": (76, "no", "yes"), "赵六": (20, "yes", "no"),
                       "王小明": (11, "no", "no")}
    assert names(a, "/console/overdue", days=14) == ["钱九", "赵六"]
    assert names(a, "/console/overdue", days=1) == ["钱九", "赵六", "王小明", "孙七"]
    page = a.get("/console/overdue").text
    assert "天数只是筛选条件，不是法定报到规定" in page and "不据此作出任何处理决定" in page
    assert names(lists.staff_b, "/console/overdue") == ["李四"]
    table = export(a, "/console/overdue.csv", days=14)
    assert table[1:] == [
        ["钱九", mask_id_number(lists.ids["钱九"]), "城关司法所", "2025-04-01 08:54",
         "2025-05-17 12:00", "76", "是"],
        ["赵六", mask_id_number(lists.ids["赵六"]), "城关司法所", "从未报到",
         "2025-05-27 12:00", "20", ""]]


def test_overdue_returns_use_end_date_plus_grace(lists):
    a = lists.staff_a
    # Ended 14 June, grace 1 day: due 15 June, one day late on the 16th. The leave ending
    # on the 15th is due today; a closed one is not listed.
    late = rows(a, "/console/overdue", list="returns")
    assert [(r["key"], int(r["days"])) for r in late] == [("leave-a-overdue", 1)]
    assert [r["key"] for r in rows(lists.staff_b, "/console/overdue", list="returns")] == [
        "leave-b-overdue"]
    assert {r["key"] for r in rows(lists.admin, "/console/overdue", list="returns")} == {
        "leave-a-overdue", "leave-b-overdue"}
    table = export(a, "/console/overdue.csv", list="returns")
    assert table[0][0] == "矫正对象" and table[1] == [
        "张三", mask_id_number(lists.ids["张三"]), "城关司法所", "江苏省南京市",
        "2025-06-10", "2025-06-14", "2025-06-15", "1"]
    assert audits(lists, "overdue_export")[-1][1:] == ("overdue:returns", "rows=1 list=returns")


# -- leaves, verification failures, enrolment -----------------------------------------------

def test_leave_requests_filter_by_status_and_dates(lists):
    a = lists.staff_a
    assert [r["key"] for r in rows(a, "/console/leaves")] == ["leave-a-pending"]  # to decide
    assert {r["key"] for r in rows(a, "/console/leaves", status="approved")} == {
        "leave-a-overdue", "leave-a-due-today", "leave-a-away-today"}
    assert [r["key"] for r in rows(a, "/console/leaves", status="closed")] == ["leave-a-closed"]
    assert [r["key"] for r in rows(a, "/console/leaves", status="rejected")] == ["leave-a-rejected"]
    assert len(rows(a, "/console/leaves", status="")) == 6
    overlapping = rows(a, "/console/leaves", status="",
                       **{"from": "2025-06-13", "to": "2025-06-14"})
    assert {r["key"] for r in overlapping} == {"leave-a-overdue", "leave-a-due-today"}
    assert [r["key"] for r in rows(lists.admin, "/console/leaves", status="approved",
                                   centre=lists.centre_b)] == ["leave-b-overdue"]
    table = export(a, "/console/leaves.csv", status="approved", **{"to": "2025-06-11"})
    assert [(r[0], r[1], r[8]) for r in table[1:]] == [
        ("张三", mask_id_number(lists.ids["张三"]), "已批准")]


def test_verification_failures_filter_by_status_and_reason(lists):
    a = lists.staff_a

    def listed(**query):
        return sorted((r["reason"], r["status"]) for r in rows(a, "/console/verifications", **query)
                      if "failure-id" in r)

    assert listed() == [("face_mismatch", "open"), ("liveness_failed", "open"),
                        ("voice_mismatch", "dismissed")]
    assert listed(status="open") == [("face_mismatch", "open"), ("liveness_failed", "open")]
    assert listed(status="dismissed") == [("voice_mismatch", "dismissed")]
    assert listed(reason="face_mismatch") == [("face_mismatch", "open")]
    assert listed(status="dismissed", reason="face_mismatch") == []
    table = export(a, "/console/verifications.csv", status="open", reason="face_mismatch")
    assert [(r[6], r[8]) for r in table[1:]] == [("张*", "face_mismatch")]
    assert audits(lists, "verification_export")[-1][2] == \
        "rows=1 status=open&reason=face_mismatch"


def test_open_verification_failures_page_through(lists):
    b = lists.staff_b

    def open_rows(**query):
        return [r for r in rows(b, "/console/verifications", **query) if r.get("status") == "open"]

    first, second = open_rows(), open_rows(page=2)
    assert len(first) == 50 and len(second) == BULK + 1 - 50
    assert first[0]["reason"] == "face_mismatch"  # the newest first
    assert not {r["failure-id"] for r in first} & {r["failure-id"] for r in second}
    assert len(open_rows(page=2, reason="poor_quality")) == BULK - 50
    assert 'href="/console/verifications.csv?reason=poor_quality"' in b.get(
        "/console/verifications?page=2&reason=poor_quality").text  # export: every page


def test_enrolment_status_and_not_fully_enrolled_filter(lists):
    a = lists.staff_a
    listed = {r["person"]: (int(r["faces"]), r["voice"], r["last"][:10])
              for r in rows(a, "/console/enrolment")}
    assert listed == {"张三": (1, "no", "2025-06-15"), "王小明": (0, "no", "2025-06-05"),
                      "赵六": (0, "no", ""), "孙七": (2, "yes", ""),
                      "钱九": (0, "no", "2025-04-01")}  # 周八 was removed
    assert sorted(names(a, "/console/enrolment", incomplete=1)) == sorted(
        ["张三", "王小明", "赵六", "钱九"])
    table = export(a, "/console/enrolment.csv", incomplete=1, person="赵")
    assert table == [["姓名", "身份证号码", "矫正中心", "人脸", "声纹", "最近报到", "采集情况"],
                     ["赵六", mask_id_number(lists.ids["赵六"]), "城关司法所", "0", "未采集",
                      "从未报到", "未完成"]]


def test_no_list_or_export_shows_another_centres_rows(lists):
    b = lists.staff_b
    centre_a_names = {"张三", "王小明", "赵六", "孙七", "钱九", "周八"}
    centre_a_ids = {lists.ids[n] for n in centre_a_names} | {
        mask_id_number(lists.ids[n]) for n in centre_a_names}
    pages = [("/console/checkins", {}), ("/console/checkins", {"view": "person"}),
             ("/console/overdue", {"days": 1}), ("/console/overdue", {"list": "returns"}),
             ("/console/leaves", {"status": ""}), ("/console/verifications", {}),
             ("/console/enrolment", {})]
    exports_before = _exports(lists)
    for path, query in pages:
        # Even asking for centre A's id changes nothing for staff of centre B.
        shown = b.get(path + "?" + urlencode({**query, "centre": lists.centre_a})).text
        assert not any(name in shown for name in centre_a_names), path
        assert not any(number in shown for number in centre_a_ids), path
        table = export(b, path + ".csv", **query)
        flat = " ".join(" ".join(r) for r in table)
        assert len(table) >= 2, path  # centre B's own row is there
        assert not any(name in flat for name in centre_a_names | {"张*"}), path
        assert not any(number in flat for number in centre_a_ids), path
    new = _exports(lists)[len(exports_before):]
    assert len(new) == len(pages)  # each export is in the audit log ...
    assert len({staff_id for staff_id, _ in new}) == 1  # ... under staff B's account
    assert new[0][0] not in {staff_id for staff_id, _ in exports_before}


def _exports(world: Seed) -> list[tuple[int, str]]:
    db = Database(world.database_url)
    try:
        with db.session() as session:
            return [(a.staff_id, a.action) for a in session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("%_export"))
                .order_by(AuditEntry.id))]
    finally:
        db.dispose()


def test_lists_in_english_show_no_missing_text(lists):
    english = StaffConsole(lists.base_url)
    english.login("admin", lists.admin_password)
    english.get("/console/lang?to=en&next=/console/overdue")
    for path in ("/console/checkins?view=day", "/console/checkins?view=person", "/console/overdue",
                 "/console/overdue?list=returns", "/console/leaves", "/console/verifications",
                 "/console/enrolment"):
        text = english.get(path).text
        assert not re.search(r"\b(lists|overdue|enrolment|checkins|leaves|error)\.[a-z_]+\b",
                             re.sub(r"<[^>]+>", " ", text)), path
    assert "Overdue lists" in english.get("/console/overdue").text
    table = export(english, "/console/overdue.csv")
    assert table[0][:3] == ["Person", "ID number", "Centre"]


def test_deciding_from_a_filtered_list_comes_back_to_that_list(world):
    from tests.server.central_helpers import event

    answer = world.terminal.post_events(
        event("leave_request", world.person_a, key="leave-june-0001", destination="南京",
              start_date="2025-06-01", end_date="2025-06-02", reason="探亲"),
        event("leave_request", world.person_a, key="leave-august-01", destination="杭州",
              start_date="2025-08-01", end_date="2025-08-02", reason="就医"),
        event("verification_failure", world.person_a, reason="face_mismatch", attempt=1),
        event("verification_failure", world.person_a, reason="no_face", attempt=1))
    assert [r["status"] for r in answer.json()["results"]] == ["stored"] * 4
    admin = world.admin
    listed = admin.rows("/console/leaves?status=pending&from=2025-07-01")
    assert [r["key"] for r in listed] == ["leave-august-01"]
    done = admin.post("/console/leaves/decide", {
        "leave_key": "leave-august-01", "decision": "approve", "note": "",
        "back": "status=approved&from=2025-07-01&next=https://example.org/"})
    assert done.url.endswith("/console/leaves?status=approved&from=2025-07-01")
    assert "已批准张三的请假申请" in done.text
    assert [r["key"] for r in admin.rows("/console/leaves?status=approved&from=2025-07-01")] \
        == ["leave-august-01"]
    [failure] = [r for r in admin.rows("/console/verifications?reason=no_face")
                 if "failure-id" in r]
    done = admin.post(f"/console/verifications/{failure['failure-id']}/review",
                      {"decision": "dismiss", "note": "", "back": "reason=no_face&status=open"})
    assert done.url.endswith("/console/verifications?reason=no_face&status=open")
    assert [r["reason"] for r in admin.rows("/console/verifications?status=open")
            if "failure-id" in r] == ["face_mismatch"]
