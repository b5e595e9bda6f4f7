"""Calls for staff (呼叫工作人员): from a terminal to the dashboard of its centre, resolved there."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server_api.server.db import Database
from server_api.server.models import AuditEntry, Event, StaffCall

from tests.server.central_helpers import TerminalClient, enrol, event
from tests.staff_console import ConsoleError, StaffConsole


def _call(person_id: int, key: str, screen: str, at: str) -> dict:
    return dict(event("staff_call", person_id, key=key, screen=screen), occurred_at=at)


def _statuses(answer) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["code"]) for r in answer.json()["results"]]


def _signed_in(world, username: str, centre_id: int) -> StaffConsole:
    world.admin.create_staff(username, "password-123456", "staff", centre_id)
    console = StaffConsole(world.server.base_url)
    console.login(username, "password-123456")
    return console


def test_staff_calls_show_on_their_centres_dashboard_until_resolved(world):
    answer = enrol(world.server.base_url, world.admin.create_token(world.centre_b), "河西一号机")
    terminal_b = TerminalClient(world.server.base_url, answer.json()["terminal_id"],
                                answer.json()["secret"], world.centre_b)
    anonymous = _call(0, "call-anon-0001", "idle", "2025-06-01T09:00:00+08:00")
    identified = _call(world.person_a, "call-zhang-001", "leave_form", "2025-06-01T09:05:00+08:00")
    assert _statuses(world.terminal.post_events(anonymous, identified)) == [
        ("stored", ""), ("stored", "")]
    assert _statuses(terminal_b.post_events(
        _call(world.person_b, "call-li-000001", "lessons", "2025-06-01T09:10:00+08:00"))) == [
        ("stored", "")]
    # A call naming another centre's person is refused like any other event.
    assert _statuses(world.terminal.post_events(
        _call(world.person_b, "call-wrong-001", "idle", "2025-06-01T09:15:00+08:00"))) == [
        ("rejected", "person_not_found")]
    assert _statuses(world.terminal.post_events(anonymous)) == [("duplicate", "")]

    staff_a = _signed_in(world, "staff_a", world.centre_a)
    staff_b = _signed_in(world, "staff_b", world.centre_b)
    calls_a = staff_a.open_staff_calls()
    assert [(c["terminal"], c["screen"], c["person"]) for c in calls_a] == [
        ("自助终端1", "leave_form", "张*"), ("自助终端1", "idle", None)]  # newest first
    page = staff_a.get("/console/").text
    assert "未识别" in page and "张三" not in page.split('id="staff-calls"')[1].split("</section>")[0]
    assert page.index('id="staff-calls"') < page.index("<h1>")  # at the top
    assert "终端呼叫工作人员（2 条待处理）" in page
    [call_b] = staff_b.open_staff_calls()
    assert (call_b["terminal"], call_b["screen"], call_b["person"]) == ("河西一号机", "lessons", "李*")
    assert len(world.admin.open_staff_calls()) == 3

    # Another centre's call cannot be seen or resolved.
    with pytest.raises(ConsoleError) as hidden:
        staff_b.resolve_staff_call(calls_a[0]["id"])
    assert hidden.value.status == 404
    with pytest.raises(ConsoleError) as missing:
        staff_b.resolve_staff_call(999999)
    assert missing.value.status == 404
    assert len(staff_a.open_staff_calls()) == 2

    staff_a.resolve_staff_call(calls_a[1]["id"])
    assert [c["id"] for c in staff_a.open_staff_calls()] == [calls_a[0]["id"]]
    staff_a.resolve_staff_call(calls_a[1]["id"])  # twice: harmless, nothing new recorded
    staff_a.resolve_staff_call(calls_a[0]["id"])
    assert staff_a.open_staff_calls() == []
    assert 'id="staff-calls"' not in staff_a.get("/console/").text
    assert [c["screen"] for c in world.admin.open_staff_calls()] == ["lessons"]

    db = Database(world.server.database_url)
    try:
        with db.session() as session:
            calls = {c.id: c for c in session.scalars(select(StaffCall))}
            assert calls[calls_a[1]["id"]].person_id is None
            assert calls[calls_a[1]["id"]].resolved_at is not None
            assert calls[calls_a[1]["id"]].resolved_by is not None
            assert calls[call_b["id"]].resolved_at is None
            anonymous_event = session.scalar(select(Event).where(
                Event.idempotency_key == "call-anon-0001"))
            assert anonymous_event.person_id is None and anonymous_event.kind == "staff_call"
            audited = session.scalars(select(AuditEntry.target).where(
                AuditEntry.action == "staff_call_resolve")).all()
            assert sorted(audited) == sorted(f"staff_call:{c['id']}" for c in calls_a)
    finally:
        db.dispose()


def test_the_resolve_notice_and_english_texts(world):
    world.terminal.post_events(_call(0, "call-anon-0002", "checkin", "2025-06-01T10:00:00+08:00"))
    [call] = world.admin.open_staff_calls()
    response = world.admin.post(f"/console/staff-calls/{call['id']}/resolve")
    assert "已处理终端“自助终端1”的呼叫。" in response.text
    again = world.admin.post(f"/console/staff-calls/{call['id']}/resolve")
    assert "已由其他人处理" in again.text

    world.terminal.post_events(_call(0, "call-anon-0003", "checkin", "2025-06-01T10:05:00+08:00"))
    world.admin.get("/console/lang?to=en&next=/console/")
    page = world.admin.get("/console/").text
    assert "Calls for staff from terminals (1 open)" in page and "Not identified" in page
    assert "Resolved" in page


def test_a_staff_call_needs_a_valid_form_token(world):
    world.terminal.post_events(_call(0, "call-anon-0004", "idle", "2025-06-01T11:00:00+08:00"))
    [call] = world.admin.open_staff_calls()
    forged = world.admin.session.post(
        world.server.base_url + f"/console/staff-calls/{call['id']}/resolve", timeout=5)
    assert forged.status_code == 403
    assert len(world.admin.open_staff_calls()) == 1
