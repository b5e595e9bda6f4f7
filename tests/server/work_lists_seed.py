"""A small, known world for the staff work-list tests, seeded through the real console and
signed terminal requests, with the server's clock frozen on Monday 2025-06-16 12:00
(Asia/Shanghai).

Centre A (城关司法所) has two terminals and six persons, centre B (河西司法所) one
terminal, one person and many unidentified failed checks. ``Seed`` keeps the ids and
keys the tests look for.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tests.server.central_helpers import TerminalClient, b64, enrol, event, wav_bytes
from tests.server.module_server import FakeClock
from tests.staff_console import StaffConsole, make_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 16, 12, 0, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)
PASSWORD = "password-123456"
BULK = 55  # rows of one kind on one day: more than one page of a list


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> str:
    """A Shanghai wall-clock time as the ISO text a terminal sends."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).isoformat()


def at(kind: str, person_id: int, when: str, key: str | None = None, **payload) -> dict:
    return {**event(kind, person_id, key=key, **payload), "occurred_at": when}


@dataclass
class Seed:
    base_url: str
    admin_password: str
    admin: StaffConsole
    staff_a: StaffConsole
    staff_b: StaffConsole
    centre_a: int
    centre_b: int
    persons: dict[str, int] = field(default_factory=dict)  # name -> id
    ids: dict[str, str] = field(default_factory=dict)  # name -> ID number
    terminals: dict[str, int] = field(default_factory=dict)  # name -> console id
    database_url: str = ""  # set by the test module, to read the audit log


def _terminal(base_url: str, admin: StaffConsole, centre: int, name: str,
              clock: FakeClock) -> TerminalClient:
    answer = enrol(base_url, admin.create_token(centre), name).json()
    terminal = TerminalClient(base_url, answer["terminal_id"], answer["secret"], centre)
    # The terminal signs with the server's (frozen) time, as a terminal in sync would.
    terminal.auth.clock_offset_s = (clock.now - dt.datetime.now(dt.timezone.utc)).total_seconds()
    return terminal


def _post(terminal: TerminalClient, *events: dict) -> None:
    answer = terminal.post_events(*events)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert all(r["status"] == "stored" for r in results), results


def seed(base_url: str, admin_password: str, clock: FakeClock) -> Seed:
    admin = StaffConsole(base_url)
    admin.login("admin", admin_password)
    centre_a = admin.create_centre("城关司法所")
    centre_b = admin.create_centre("河西司法所")
    admin.create_staff("staff-a", PASSWORD, "staff", centre_a)
    admin.create_staff("staff-b", PASSWORD, "staff", centre_b)
    staff_a, staff_b = StaffConsole(base_url), StaffConsole(base_url)
    staff_a.login("staff-a", PASSWORD)
    staff_b.login("staff-b", PASSWORD)
    world = Seed(base_url, admin_password, admin, staff_a, staff_b, centre_a, centre_b)

    def person(centre: int, name: str, serial: int, days_ago: int) -> int:
        clock.now = NOW - dt.timedelta(days=days_ago)  # registration time
        # Sessions expire by the server's clock: sign in again on the day of registration.
        admin.login("admin", admin_password)
        world.ids[name] = make_id_number(serial)
        world.persons[name] = admin.create_person(centre, name, world.ids[name], "缓刑", "每周报到")
        return world.persons[name]

    zhang = person(centre_a, "张三", 11, 30)
    wang = person(centre_a, "王小明", 12, 30)
    zhao = person(centre_a, "赵六", 13, 20)  # never checks in
    sun = person(centre_a, "孙七", 14, 2)  # new, never checks in, fully enrolled
    qian = person(centre_a, "钱九", 15, 30)  # many check-ins on one day
    zhou = person(centre_a, "周八", 16, 30)  # removed
    li = person(centre_b, "李四", 21, 30)
    clock.now = NOW
    admin.login("admin", admin_password)
    admin.remove_person(zhou)

    hall1 = _terminal(base_url, admin, centre_a, "大厅一号机", clock)
    hall2 = _terminal(base_url, admin, centre_a, "大厅二号机", clock)
    west = _terminal(base_url, admin, centre_b, "河西一号机", clock)
    by_public_id = {row["terminal-id"]: int(row["id"]) for row in admin.terminals()}
    world.terminals = {name: by_public_id[t.terminal_id]
                       for name, t in (("大厅一号机", hall1), ("大厅二号机", hall2), ("河西一号机", west))}

    _post(hall1,
          at("checkin", zhang, local(2025, 6, 1, 9), match_score=0.91),
          at("checkin", zhang, local(2025, 6, 15, 23, 30), match_score=0.92),
          at("checkin", wang, local(2025, 6, 5, 10), match_score=0.88),
          at("face_enrolment", sun, local(2025, 6, 14), templates=[[0.1] * 128, [0.2] * 128]),
          at("voice_enrolment", sun, local(2025, 6, 14), template_b64=b64(b"voice-template"),
             model="test", wavs_b64=[b64(wav_bytes(0.3))]),
          at("face_enrolment", zhang, local(2025, 6, 1), templates=[[0.3] * 128]),
          *[at("checkin", qian, local(2025, 4, 1, 8, i), match_score=0.9) for i in range(BULK)],
          at("leave_request", zhang, local(2025, 6, 5), key="leave-a-overdue",
             destination="江苏省南京市", start_date="2025-06-10", end_date="2025-06-14",
             reason="探亲"),
          at("leave_request", wang, local(2025, 6, 5), key="leave-a-due-today",
             destination="浙江省杭州市", start_date="2025-06-12", end_date="2025-06-15",
             reason="就医"),
          at("leave_request", zhang, local(2025, 5, 20), key="leave-a-closed",
             destination="安徽省合肥市", start_date="2025-06-01", end_date="2025-06-03",
             reason="办事"),
          at("leave_request", zhao, local(2025, 6, 15), key="leave-a-pending",
             destination="上海市", start_date="2025-06-20", end_date="2025-06-22", reason="务工"),
          at("leave_request", qian, local(2025, 6, 10), key="leave-a-away-today",
             destination="四川省成都市", start_date="2025-06-15", end_date="2025-06-18",
             reason="探亲"),
          at("leave_request", wang, local(2025, 4, 20), key="leave-a-rejected",
             destination="广东省广州市", start_date="2025-05-01", end_date="2025-05-02",
             reason="旅游"),
          at("verification_failure", zhang, local(2025, 6, 14, 8), reason="face_mismatch",
             attempt=1, face_distance=0.7),
          at("verification_failure", 0, local(2025, 6, 14, 9), reason="liveness_failed",
             attempt=1),
          at("verification_failure", wang, local(2025, 6, 13, 9), reason="voice_mismatch",
             attempt=2, voice_score=0.3))
    _post(hall2, at("checkin", zhang, local(2025, 6, 16, 0, 10), match_score=0.95))
    _post(west,
          at("checkin", li, local(2025, 6, 1, 10), match_score=0.9),
          at("leave_request", li, local(2025, 6, 1), key="leave-b-overdue",
             destination="湖北省武汉市", start_date="2025-06-05", end_date="2025-06-08",
             reason="探亲"),
          at("verification_failure", li, local(2025, 6, 14, 10), reason="face_mismatch",
             attempt=1, face_distance=0.8),
          *[at("verification_failure", 0, local(2025, 6, 2, 8, i), reason="poor_quality",
               attempt=1) for i in range(BULK)])
    for key in ("leave-a-overdue", "leave-a-due-today", "leave-a-closed", "leave-a-away-today",
                "leave-b-overdue"):
        admin.decide_leave(key, approve=True)
    admin.decide_leave("leave-a-rejected", approve=False)
    _post(hall1, at("leave_return", zhang, local(2025, 6, 3, 18), leave_key="leave-a-closed"))
    [dismissed] = [v for v in admin.verifications() if v["reason"] == "voice_mismatch"]
    admin.review_verification(dismissed["id"], genuine=False)
    return world
