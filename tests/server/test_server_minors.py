"""Minors (未成年人, Community Correction Law Arts 52, 54): only their assigned staff member
sees their records, no full name reaches a terminal, exports leave them out by default."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from server_api.server.db import Database
from server_api.server.models import AuditEntry

from tests.server.central_helpers import event
from tests.staff_console import ConsoleError, StaffConsole, make_id_number

PASSWORD = "password-123456"


def _staff(world, username: str, centre_id: int) -> StaffConsole:
    world.admin.create_staff(username, PASSWORD, "staff", centre_id)
    console = StaffConsole(world.server.base_url)
    console.login(username, PASSWORD)
    return console


def _create_minor(console: StaffConsole, centre_id: int, assigned: str = "",
                  serial: int = 7) -> int:
    return console._created(console.post("/console/persons", {
        "centre_id": str(centre_id), "name": "王小明", "id_number": make_id_number(serial, "20100101"),
        "case_type": "缓刑", "reporting_obligation": "", "is_minor": "yes",
        "assigned_staff_id": assigned}))


def _csv_people(console: StaffConsole, query: str = "") -> list[str]:
    answer = console.get("/console/checkins.csv" + query)
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    return [cell for row in rows[1:] for cell in row if cell in ("张三", "王小明")]


def _staff_id(world, username: str) -> int:
    db = Database(world.server.database_url)
    try:
        from server_api.server.models import StaffUser
        with db.session() as session:
            return session.scalar(select(StaffUser.id).where(StaffUser.username == username))
    finally:
        db.dispose()


def test_a_minors_records_are_seen_only_by_their_assigned_staff_member(world):
    """Arts 52, 54: the minor's check-ins, calls and failures stay with the assigned staff."""
    first = _staff(world, "staff_a1", world.centre_a)
    second = _staff(world, "staff_a2", world.centre_a)
    minor = _create_minor(first, world.centre_a)  # centre staff: assigned to themselves
    answers = world.terminal.post_events(
        event("checkin", minor, key="minor-checkin-01", match_score=0.9),
        event("checkin", world.person_a, key="adult-checkin-01", match_score=0.9),
        event("staff_call", minor, key="minor-call-0001", screen="menu"),
        event("verification_failure", minor, key="minor-fail-001", reason="face_mismatch",
              claimed=False, face_distance=0.7, voice_score=None, attempt=1,
              snapshot_jpeg_b64=None, face_encoding=None))
    assert [r["status"] for r in answers.json()["results"]] == ["stored"] * 4

    # The terminal never receives the full name: the surname only.
    roster = {p["id"]: p for p in world.terminal.get("/terminal/roster").json()["persons"]}
    assert roster[minor]["name"] == "王*"

    # The assigned staff member sees everything of the minor.
    assert minor in {c["person_id"] for c in first.checkins()}
    assert [p for p in first.persons() if p["id"] == str(minor)]
    assert any(v["person_id"] == minor for v in first.verifications())
    assert [c["person"] for c in first.open_staff_calls()] == ["王*明"]

    # Another staff member of the same centre, and the administrator, see nothing of them.
    for other in (second, world.admin):
        assert minor not in {c["person_id"] for c in other.checkins()}
        assert world.person_a in {c["person_id"] for c in other.checkins()}
        assert not [p for p in other.persons() if p.get("name") == "王小明"]
        assert not any(v["person_id"] == minor for v in other.verifications())
        assert [c["person"] for c in other.open_staff_calls()] == [None]  # the call, no name
        assert "王小明" not in other.get("/console/").text
        assert "王*明" not in other.get("/console/checkins").text
    dashboard = second.get("/console/").text
    assert "未成年人（仅指派工作人员可见）" in dashboard  # staff still go to the terminal

    # Only the administrator is told the minor exists (masked), to change the assignment.
    admin_page = world.admin.get("/console/persons").text
    hidden = admin_page.split('id="hidden-minors"')[1]
    assert "王*明" in hidden and "王小明" not in admin_page
    assert 'id="hidden-minors"' not in second.get("/console/persons").text

    # Someone who may not see the minor cannot change them either (404, as if absent).
    with pytest.raises(ConsoleError) as refused:
        second.post(f"/console/persons/{minor}/minor", {"is_minor": "yes"})
    assert refused.value.status == 404

    # The administrator hands the minor to the second staff member: the view follows.
    world.admin.post(f"/console/persons/{minor}/minor",
                     {"is_minor": "yes", "assigned_staff_id": str(_staff_id(world, "staff_a2"))})
    assert minor in {c["person_id"] for c in second.checkins()}
    assert minor not in {c["person_id"] for c in first.checkins()}

    db = Database(world.server.database_url)
    try:
        with db.session() as session:
            details = session.scalars(select(AuditEntry.detail).where(
                AuditEntry.action == "person_minor_set")).all()
    finally:
        db.dispose()
    assert details == [f"minor=yes staff={_staff_id(world, 'staff_a2')}"]


def test_exports_leave_minors_out_unless_asked_and_assignment_is_checked(world):
    """Art 54: exports exclude minors by default; a minor needs a staff member of their
    own centre."""
    first = _staff(world, "staff_a1", world.centre_a)
    _staff(world, "staff_b1", world.centre_b)
    minor = _create_minor(first, world.centre_a)
    world.terminal.post_events(
        event("checkin", minor, key="minor-checkin-02", match_score=0.9),
        event("checkin", world.person_a, key="adult-checkin-02", match_score=0.9))

    assert _csv_people(first) == ["张三"]
    assert sorted(_csv_people(first, "?minors=include")) == ["张三", "王小明"]
    assert "export-minors" in first.get("/console/checkins").text

    # The administrator must name a staff member, of the person's centre, active.
    with pytest.raises(ConsoleError) as unnamed:
        _create_minor(world.admin, world.centre_a, serial=8)
    assert unnamed.value.status == 400 and "请为未成年人指派" in unnamed.value.message
    with pytest.raises(ConsoleError) as elsewhere:
        world.admin.post(f"/console/persons/{world.person_a}/minor", {
            "is_minor": "yes", "assigned_staff_id": str(_staff_id(world, "staff_b1"))})
    assert elsewhere.value.status == 400 and "本中心在职" in elsewhere.value.message

    # Unflagged, the person is an ordinary person again for everyone of the centre.
    first.post(f"/console/persons/{minor}/minor", {"is_minor": ""})
    assert sorted(_csv_people(first)) == ["张三", "王小明"]
    assert minor in {c["person_id"] for c in world.admin.checkins()}
