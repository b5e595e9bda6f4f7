"""Questionnaires (心理测评) on the central server, on SQLite and PostgreSQL: staff assign,
the terminal fetches the definition and sends answers, the server scores them with that
version; results are for staff of the person's centre only (Art 26, 61: audited reads)."""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from content.questionnaires import engine
from server_api.server import questionnaires
from server_api.server.db import Database
from server_api.server.models import AuditEntry

from tests.server.central_helpers import TerminalClient, enrol, event
from tests.server.conftest import Server, World
from tests.server.module_server import DATABASES, module_database
from tests.staff_console import ConsoleError, StaffConsole, make_id_number, start_server

API = "/api/v1"  # TerminalClient paths are relative to it
PHQ9_FILE = engine.BUILTIN_DIR / "phq9.v1.json"


@pytest.fixture(scope="module", params=DATABASES)
def central(request, tmp_path_factory):
    """One server per database for the module; each test makes its own centres."""
    with module_database(request.param, tmp_path_factory) as database_url:
        data_dir = tmp_path_factory.mktemp("central")
        base_url, password, stop = start_server(database_url, data_dir)
        try:
            admin = StaffConsole(base_url)
            admin.login("admin", password)
            yield Server(base_url, password, data_dir, database_url), admin, [0]
        finally:
            stop()


@pytest.fixture
def world(central) -> World:
    """Two new centres, a person in each, and a terminal of the first (as conftest's)."""
    server, admin, serial = central
    serial[0] += 1
    n = serial[0]
    centre_a = admin.create_centre(f"城关司法所{n}")
    centre_b = admin.create_centre(f"河西司法所{n}")
    person_a = admin.create_person(centre_a, "张三", make_id_number(10 * n + 1), "缓刑")
    person_b = admin.create_person(centre_b, "李四", make_id_number(10 * n + 2), "假释")
    answer = enrol(server.base_url, admin.create_token(centre_a)).json()
    terminal = TerminalClient(server.base_url, answer["terminal_id"], answer["secret"],
                              answer["centre_id"])
    return World(server, admin, centre_a, centre_b, person_a, person_b, terminal)


def _signed_in(world, username: str, centre_id: int) -> StaffConsole:
    username = f"{username}_{centre_id}"
    world.admin.create_staff(username, "password-123456", "staff", centre_id)
    console = StaffConsole(world.server.base_url)
    console.login(username, "password-123456")
    return console


def _assign(console: StaffConsole, person_id: int, questionnaire_id: str = "phq9") -> None:
    console.post("/console/questionnaires/assign", {"person_id": str(person_id),
                                                    "questionnaire_id": questionnaire_id})


def _open(terminal: TerminalClient, person_id: int):
    return terminal.get(f"/terminal/persons/{person_id}/questionnaires")


def _result(person_id, assignment_id, answers, key=None, qid="phq9", version=1):
    return event("questionnaire_result", person_id, key=key, assignment_id=assignment_id,
                 questionnaire_id=qid, version=version, answers=answers)


def _statuses(answer) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["code"]) for r in answer.json()["results"]]


def test_assign_answer_and_staff_only_results(world):
    staff_a = _signed_in(world, "staff_a", world.centre_a)
    staff_b = _signed_in(world, "staff_b", world.centre_b)
    _assign(staff_a, world.person_a)
    _assign(staff_a, world.person_a)  # already waiting: not twice
    with pytest.raises(ConsoleError) as refused:  # another centre's person: refused
        _assign(staff_a, world.person_b)
    assert refused.value.status == 400
    [item] = _open(world.terminal, world.person_a).json()["assignments"]
    assert (item["questionnaire_id"], item["version"]) == ("phq9", 1)
    assert item["title"]["zh_CN"].startswith("心情状况问卷")

    # The definition is the published file, byte for byte.
    answer = world.terminal.get(f"/terminal/questionnaires/phq9/1")
    assert answer.status_code == 200
    assert answer.content == PHQ9_FILE.read_bytes()
    assert item["sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert world.terminal.get("/terminal/questionnaires/phq9/7").status_code == 404
    assert _open(world.terminal, world.person_b).status_code == 404  # not its centre

    aid = item["assignment_id"]
    answers = [3, 3, 2, 1, 0, 0, 0, 0, 1]  # total 10 (moderate); item 9 at 1: critical
    assert _statuses(world.terminal.post_events(
        _result(world.person_a, aid, answers[:8]),                     # one missing
        _result(world.person_a, aid, answers[:8] + [4]),               # not a choice
        _result(world.person_a, aid, answers, qid="gad7"),             # another questionnaire
        _result(world.person_a, aid + 999, answers),                   # no such assignment
        _result(world.person_a, aid, answers, key="phq9-result-0001"),
        _result(world.person_a, aid, answers, key="phq9-result-0001"),
        _result(world.person_a, aid, answers))) == [
        ("rejected", "invalid_event_payload"), ("rejected", "invalid_event_payload"),
        ("rejected", "questionnaire_version_mismatch"), ("rejected", "questionnaire_not_assigned"),
        ("stored", ""), ("duplicate", ""), ("rejected", "questionnaire_already_answered")]
    assert _open(world.terminal, world.person_a).json()["assignments"] == []

    [row] = [r for r in staff_a.rows("/console/questionnaires") if "result-id" in r]
    assert (row["total"], row["band"], row["critical"], row["version"]) == (
        "10", "moderate", "yes", "1")
    page = staff_a.get(f"/console/questionnaires/results/{row['result-id']}").text
    assert "中度" in page and "有不如死掉或用某种方式伤害自己的念头" in page
    # Staff of another centre see nothing of it.
    assert not [r for r in staff_b.rows("/console/questionnaires") if "result-id" in r]
    with pytest.raises(ConsoleError) as hidden:
        staff_b.get(f"/console/questionnaires/results/{row['result-id']}")
    assert hidden.value.status == 404
    with Database(world.server.database_url).session() as session:
        entries = list(session.scalars(select(AuditEntry)))
    about_a = [e.action for e in entries if e.target == f"person:{world.person_a}"]
    assert about_a.count("questionnaire_assign") == 1 and "questionnaire_result_view" in about_a
    assert "questionnaire_results_view" in [e.action for e in entries]


BAND_CASES = [  # PHQ-9 answers, the band staff see, critical (item 9 > 0)
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], "minimal", "no"),            # 4
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], "mild", "no"),               # 5
    ([3, 3, 3, 3, 3, 0, 0, 0, 0], "moderately_severe", "no"),  # 15
    ([3, 3, 3, 3, 3, 3, 3, 3, 3], "severe", "yes")]            # 27


def test_bands_as_staff_see_them(world):
    for answers, band, critical in BAND_CASES:
        _assign(world.admin, world.person_a)  # again, once the last one is answered
        [item] = _open(world.terminal, world.person_a).json()["assignments"]
        assert _statuses(world.terminal.post_events(
            _result(world.person_a, item["assignment_id"], answers))) == [("stored", "")]
        row = [r for r in world.admin.rows("/console/questionnaires")
               if "result-id" in r and r["person-id"] == str(world.person_a)][0]
        assert (int(row["total"]), row["band"], row["critical"]) == (sum(answers), band, critical)


def test_critical_alert_reaches_the_dashboard_without_a_score(world):
    """The kiosk raises a staff call (screen questionnaire_critical) the moment a critical
    answer is given; it lands on the dashboard like any call for staff."""
    staff_a = _signed_in(world, "staff_a", world.centre_a)
    assert _statuses(world.terminal.post_events(
        event("staff_call", world.person_a, screen="questionnaire_critical"))) == [("stored", "")]
    [call] = staff_a.open_staff_calls()
    assert (call["screen"], call["person"]) == ("questionnaire_critical", "张*")
    section = staff_a.get("/console/").text.split('id="staff-calls"')[1].split("</section>")[0]
    assert "心理测评：有需要立即关注的回答" in section
    assert "总分" not in section


def test_a_new_version_does_not_change_old_results(world, tmp_path):
    _assign(world.admin, world.person_a)
    [v1] = _open(world.terminal, world.person_a).json()["assignments"]
    data = json.loads(PHQ9_FILE.read_text("utf-8"))
    data["version"] = 2
    data["bands"][0]["max"], data["bands"][1]["min"] = 5, 6  # 5 is no longer "mild"
    (tmp_path / "phq9.v2.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    questionnaires.use_library(engine.Library([engine.BUILTIN_DIR, tmp_path]))
    try:
        _assign(world.admin, world.person_b)  # assigned from now on: version 2
        five = [1, 1, 1, 1, 1, 0, 0, 0, 0]
        # The v1 assignment made before is still answered and scored as v1.
        assert _statuses(world.terminal.post_events(
            _result(world.person_a, v1["assignment_id"], five))) == [("stored", "")]
        enrolled = enrol(world.server.base_url, world.admin.create_token(world.centre_b)).json()
        terminal_b = TerminalClient(world.server.base_url, enrolled["terminal_id"],
                                    enrolled["secret"], world.centre_b)
        [v2] = _open(terminal_b, world.person_b).json()["assignments"]
        assert v2["version"] == 2
        assert _statuses(terminal_b.post_events(
            _result(world.person_b, v2["assignment_id"], five, version=2))) == [("stored", "")]
        rows = {r["person-id"]: r for r in world.admin.rows("/console/questionnaires")
                if "result-id" in r and r["person-id"] in (str(world.person_a),
                                                           str(world.person_b))}
        assert (rows[str(world.person_a)]["version"], rows[str(world.person_a)]["band"]) == (
            "1", "mild")
        assert (rows[str(world.person_b)]["version"], rows[str(world.person_b)]["band"]) == (
            "2", "minimal")
    finally:
        questionnaires.use_library(None)
