"""The other approvals (Community Correction Law art. 23, 27; DOMAIN.md "Approval types"):
filed by a terminal, decided by staff of the person's centre (audited), status back to
the terminal; bad requests refused with a stable code, never a 500."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server_api import contract
from server_api.server.db import Database
from server_api.server.models import AuditEntry

from tests.server.central_helpers import event
from tests.staff_console import ConsoleError, StaffConsole, make_id_number

TODAY = dt.datetime.now(dt.timezone.utc).date()


def _day(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def _results(answer) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["code"]) for r in answer.json()["results"]]


def _approvals(world, person_id: int) -> list[contract.ApprovalInfo]:
    answer = world.terminal.get(f"/terminal/persons/{person_id}/approvals")
    assert answer.status_code == 200, answer.text
    return contract.ApprovalList.model_validate(answer.json()).approvals


def _pending(console: StaffConsole) -> list[str]:
    return [r["key"] for r in console.rows("/console/approvals") if r.get("status") == "pending"]


def _decide(console: StaffConsole, key: str, approve: bool, note: str = "") -> None:
    console.post("/console/approvals/decide", {"approval_key": key, "note": note,
                                               "decision": "approve" if approve else "reject"})


def _staff(world, username: str, centre: int) -> StaffConsole:
    world.admin.create_staff(username, "password-123456", "staff", centre)
    console = StaffConsole(world.server.base_url)
    console.login(username, "password-123456")
    return console


PLACE_CHANGE = dict(type="place_change", start_date=_day(35), place="广东省", reason="工作变动")


def test_filed_decided_and_shown_to_the_terminal_art27(world):
    medical = world.admin.create_person(world.centre_a, "王五", make_id_number(3), "暂予监外执行")
    filed = [
        event("approval_request", world.person_a, key="appr-place-0001", **PLACE_CHANGE),
        event("approval_request", world.person_a, key="appr-visit-0001", type="visitor",
              start_date=_day(2), counterpart="同案人员", reason="赔偿调解"),
        event("approval_request", world.person_a, key="appr-move-00001", type="move",
              start_date=_day(10), reason="房屋拆迁"),
        event("approval_request", world.person_a, key="appr-trvl-00001", type="frequent_travel",
              start_date=_day(1), end_date=_day(180), place="江苏省", reason="务工经商"),
        event("approval_request", medical, key="appr-medi-00001", type="medical_extension",
              start_date=_day(3), reason="病情未愈，需继续治疗"),
    ]
    assert _results(world.terminal.post_events(*filed)) == [("stored", "")] * 5
    assert _results(world.terminal.post_events(filed[0])) == [("duplicate", "")]
    mine = _approvals(world, world.person_a)
    assert {a.key for a in mine} == {"appr-place-0001", "appr-visit-0001", "appr-move-00001",
                                     "appr-trvl-00001"}
    assert all(a.status is contract.ApprovalStatus.pending for a in mine)
    travel = next(a for a in mine if a.key == "appr-trvl-00001")
    assert (travel.place, travel.end_date.isoformat()) == ("江苏省", _day(180))

    # Scope: staff of the other centre see none of them and cannot decide one.
    staff_a, staff_b = _staff(world, "staff_a", world.centre_a), _staff(world, "staff_b", world.centre_b)
    assert _pending(staff_b) == []
    with pytest.raises(ConsoleError) as foreign:
        _decide(staff_b, "appr-place-0001", approve=True)
    assert foreign.value.status == 400 and "找不到该申请" in foreign.value.message
    assert len(_pending(staff_a)) == 5
    page = staff_a.get("/console/approvals?type=place_change").text
    assert "执行地变更" in page and "广东省" in page and "房屋拆迁" not in page

    # A rejection needs a reason the person can read; then it is decided once only.
    with pytest.raises(ConsoleError) as no_reason:
        _decide(staff_a, "appr-move-00001", approve=False)
    assert no_reason.value.status == 400 and "请填写理由" in no_reason.value.message
    _decide(staff_a, "appr-move-00001", approve=False, note="请先提供新住址的租房合同")
    _decide(staff_a, "appr-place-0001", approve=True, note="批准后7日内到新执行地报到")
    with pytest.raises(ConsoleError) as twice:
        _decide(staff_a, "appr-place-0001", approve=False, note="改变主意")
    assert "已经处理过" in twice.value.message

    decided = {a.key: a for a in _approvals(world, world.person_a)}
    assert decided["appr-place-0001"].status is contract.ApprovalStatus.approved
    assert decided["appr-place-0001"].decision_note == "批准后7日内到新执行地报到"
    assert decided["appr-move-00001"].status is contract.ApprovalStatus.rejected
    assert decided["appr-move-00001"].decided_at is not None
    assert len(_pending(staff_a)) == 3
    db = Database(world.server.database_url)
    try:
        with db.session() as session:
            actions = sorted(session.scalars(select(AuditEntry.action).where(
                AuditEntry.target.like("approval:%"))))
    finally:
        db.dispose()
    assert actions == ["approval_approved", "approval_rejected"]

    # The terminal of centre A cannot read a person of centre B.
    answer = world.terminal.get(f"/terminal/persons/{world.person_b}/approvals")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "person_not_found"


BAD_REQUESTS = [
    # DOMAIN.md: a change of execution place is filed one month ahead.
    (dict(PLACE_CHANGE, start_date=_day(29)), "approval_too_late", "30 days ahead"),
    (dict(PLACE_CHANGE, place=""), "invalid_event_payload", "place is required"),
    (dict(type="visitor", start_date=_day(2), reason="见面"), "invalid_event_payload",
     "counterpart is required"),
    (dict(type="frequent_travel", start_date=_day(5), end_date=_day(4), place="江苏省",
          reason="务工"), "invalid_event_payload", "end_date is before start_date"),
    # DOMAIN.md: a standing frequent-travel approval lasts 6 months by default.
    (dict(type="frequent_travel", start_date=_day(1), end_date=_day(200), place="江苏省",
          reason="务工"), "invalid_event_payload", "at most 183 days"),
    (dict(type="move", start_date=_day(-1), reason="拆迁"), "invalid_event_payload",
     "before the day"),
    (dict(type="move", start_date=_day(3), reason="   "), "invalid_event_payload", "blank"),
    (dict(type="marriage", start_date=_day(3), reason="结婚"), "invalid_event_payload", "type"),
    (dict(type="move", start_date="2026-02-30", reason="拆迁"), "invalid_event_payload",
     "start_date"),
    # art. 23: medical review extensions concern 暂予监外执行 only (张三 is on 缓刑).
    (dict(type="medical_extension", start_date=_day(3), reason="复查"),
     "approval_not_applicable", "暂予监外执行"),
]


def test_bad_requests_are_refused_with_a_clear_code(world):
    sent = [event("approval_request", world.person_a, **payload) for payload, _, _ in BAD_REQUESTS]
    answer = world.terminal.post_events(*sent)  # one batch: each refused on its own
    assert _results(answer) == [("rejected", code) for _, code, _ in BAD_REQUESTS]
    for result, (_, _, says) in zip(answer.json()["results"], BAD_REQUESTS):
        assert says in result["message"], result
    assert _approvals(world, world.person_a) == []  # nothing half written


def test_bad_console_input_gets_a_clear_error(world):
    world.terminal.post_events(event("approval_request", world.person_a, key="appr-move-00009",
                                     type="move", start_date=_day(3), reason="拆迁"))
    for fields, says in (({"approval_key": "appr-move-00009", "decision": "maybe"}, "批准或不批准"),
                         ({"approval_key": "x" * 5000, "decision": "approve"}, "找不到该申请"),
                         ({"approval_key": "appr-move-00009", "decision": "reject",
                           "note": "太长" * 600}, "1000"),
                         ({"approval_key": "appr-move-00009", "decision": "approve",
                           "note": "坏\x00字"}, "控制字符")):
        with pytest.raises(ConsoleError) as refused:
            world.admin.post("/console/approvals/decide", fields)
        assert refused.value.status == 400 and says in refused.value.message
    for query, status in (("?status=bogus&type=bogus", 200), ("?page=-3", 400),
                          ("?centre=abc", 400)):
        answer = world.admin.session.get(world.server.base_url + "/console/approvals" + query)
        assert answer.status_code == status, query
    assert _pending(world.admin) == ["appr-move-00009"]
