"""The scope proof: staff of centre A, a content editor and a terminal of centre A get
nothing of centre B, on every route the app has.

Every (method, path) of ``app.routes`` must be classified in ``PROBES``; a route that is
not (a page added later) fails ``test_every_route_is_classified``. Each probe runs
against data that exists only in centre B (a person, a check-in with its photo, a leave,
a lesson assignment, a verification failure with evidence and photo, a terminal, a call
for staff, audit entries) and asserts that nothing of B comes back: 403/404, or a page,
list or CSV without B's names, ID number or row links. The administrator runs the same
reads first and must see B, so a probe that could not see a leak fails too.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from server_api.names import mask_name
from server_api.server.app import create_app

from tests.server.central_helpers import (
    TerminalClient, b64, enrol, event, jpeg_bytes, write_video,
)
from tests.server.fleet_helpers import command_result, heartbeat
from tests.server.module_server import DATABASES, module_database
from tests.server.test_api_contract import app_operations
from tests.staff_console import StaffConsole, make_id_number, start_server

PASSWORD = "password-123456"
NAME_B, NAME_A = "欧阳娜娜", "张三"
CENTRE_B, TERMINAL_B = "河西司法所", "河西一号机"
LEAVE_B, DESTINATION_B = "leave-scope-b-0001", "乌鲁木齐"
APPROVAL_B, NEW_PLACE_B = "approval-scope-b-01", "西藏自治区"

# How each route is probed. Kinds:
#   open      - no data of anyone (sign-in, docs, health): fetched, must hold nothing of B
#   session   - signs in or out: not probed here (tests/server/test_server_staff_access.py)
#   list      - a page, list or CSV of the staff member's scope: 200 without B for
#               centre staff; the administrator sees B on it
#   admin     - administrators only: 403 for everyone else; the administrator sees B
#   row       - GET of one of B's rows by id: 404 for centre staff; 200 for the admin
#   post_row  - a form post on one of B's rows: refused (4xx), nothing of B shown, no change
#   post_form - a form post naming B's centre, person or leave in its fields: refused
#   shared    - the shared lesson library (not personal data): allowed, nothing of B shown
#   api_*     - terminal API, probed as a terminal of centre A (api_shared: published
#               content any terminal may fetch, which must hold nothing of B; api_content:
#               the signed content routes, where B's configuration target is refused)
PROBES: dict[tuple[str, str], str] = {
    ("GET", "/"): "open",
    ("GET", "/healthz"): "open",
    ("GET", "/openapi.json"): "open", ("HEAD", "/openapi.json"): "open",
    ("GET", "/docs"): "open", ("HEAD", "/docs"): "open",
    ("GET", "/docs/oauth2-redirect"): "open", ("HEAD", "/docs/oauth2-redirect"): "open",
    ("GET", "/redoc"): "open", ("HEAD", "/redoc"): "open",
    ("GET", "/console/login"): "open",
    ("GET", "/console/lang"): "open",
    ("POST", "/console/login"): "session",
    ("POST", "/console/logout"): "session",
    ("GET", "/console/"): "list",
    ("GET", "/console/checkins"): "list",
    ("GET", "/console/leaves"): "list",
    ("GET", "/console/lessons"): "list",
    ("GET", "/console/persons"): "list",
    ("GET", "/console/terminals"): "list",
    ("GET", "/console/verifications"): "list",
    ("GET", "/console/verifications.csv"): "list",
    ("GET", "/console/checkins.csv"): "list",
    ("GET", "/console/leaves.csv"): "list",
    ("GET", "/console/overdue"): "list",
    ("GET", "/console/overdue.csv"): "list",
    ("GET", "/console/enrolment"): "list",
    ("GET", "/console/enrolment.csv"): "list",
    ("GET", "/console/audit"): "admin",
    ("GET", "/console/audit.csv"): "admin",
    ("GET", "/console/centres"): "admin",
    ("POST", "/console/centres"): "admin",
    ("GET", "/console/staff"): "admin",
    ("POST", "/console/staff"): "admin",
    ("POST", "/console/staff/{account_id}/unlock"): "admin",
    ("GET", "/console/checkins/{checkin_id}/snapshot"): "row",
    ("GET", "/console/verifications/{failure_id}/snapshot"): "row",
    ("POST", "/console/persons/{person_id}/remove"): "post_row",
    ("POST", "/console/persons/{person_id}/minor"): "post_row",
    ("POST", "/console/staff-calls/{call_id}/resolve"): "post_row",
    ("POST", "/console/terminals/{terminal_id}/revoke"): "post_row",
    ("POST", "/console/terminals/{terminal_id}/disable"): "post_row",
    ("POST", "/console/terminals/{terminal_id}/enable"): "post_row",
    ("POST", "/console/verifications/{failure_id}/review"): "post_row",
    ("POST", "/console/lessons/{lesson_id}/assign"): "post_form",
    ("POST", "/console/persons"): "post_form",
    ("POST", "/console/terminals/token"): "post_form",
    ("POST", "/console/leaves/decide"): "post_form",
    ("GET", "/console/approvals"): "list",
    ("POST", "/console/approvals/decide"): "post_form",
    ("POST", "/console/lessons"): "shared",
    # Lesson credit (pages_lesson_credit): time per person, groups, the shared quiz.
    ("GET", "/console/lesson-credit"): "list",
    ("POST", "/console/lesson-credit/group"): "post_form",
    ("POST", "/console/lesson-credit/group/{group_id}/remove"): "post_row",
    ("POST", "/console/lesson-credit/quiz"): "admin",
    ("POST", "/api/v1/terminals/enrol"): "api_enrol",
    ("GET", "/api/v1/terminal/roster"): "api_list",
    ("POST", "/api/v1/terminal/events"): "api_events",
    ("GET", "/api/v1/terminal/persons/{person_id}/leaves"): "api_row",
    ("GET", "/api/v1/terminal/persons/{person_id}/approvals"): "api_row",
    ("GET", "/api/v1/terminal/persons/{person_id}/lessons"): "api_row",
    ("GET", "/api/v1/terminal/lessons/{lesson_id}/content"): "api_row",
    # The fleet: terminal pages, their commands, attachments and configuration.
    ("GET", "/console/dashboard/live"): "list",
    ("GET", "/console/terminals/{terminal_id}"): "row",
    ("GET", "/console/terminals/{terminal_id}/commands/{command_id}/attachment"): "row",
    ("GET", "/console/fleet/centres/{centre_id}/config"): "row",
    ("POST", "/console/terminals/{terminal_id}/commands"): "post_row",
    ("POST", "/console/terminals/{terminal_id}/config"): "post_row",
    ("POST", "/console/fleet/centres/{centre_id}/config"): "post_row",
    ("POST", "/api/v1/terminal/heartbeat"): "api_heartbeat",
    # Reporting plans: a person's plan page and form, the missed-reporting lists.
    ("GET", "/console/persons/{person_id}/plan"): "row",
    ("POST", "/console/persons/{person_id}/plan"): "post_row",
    ("GET", "/console/reporting"): "list",
    ("GET", "/console/reporting.csv"): "list",
    ("POST", "/api/v1/terminal/commands/{command_id}/result"): "api_command",
    # Written reports (思想汇报): the list, one report, one of its pages or its recording.
    ("GET", "/console/reports"): "list",
    ("GET", "/console/reports/{report_id}"): "row",
    ("GET", "/console/reports/{report_id}/files/{index}"): "row",
    # Content updates (TUF): lessons are a shared library; a centre's configuration
    # target is served to that centre's terminals only.
    ("GET", "/api/v1/content/metadata/{name}"): "api_content",
    ("GET", "/api/v1/content/targets/{directory}/{filename}"): "api_content",
    # Questionnaires (心理测评): results are staff-only personal data.
    ("GET", "/console/questionnaires"): "list",
    ("GET", "/console/questionnaires/results/{result_id}"): "row",
    ("POST", "/console/questionnaires/assign"): "post_form",
    ("GET", "/api/v1/terminal/persons/{person_id}/questionnaires"): "api_row",
    ("GET", "/api/v1/terminal/questionnaires/{questionnaire_id}/{version}"): "api_shared",
}
# Form fields of the posts, aimed at centre B's rows (filled in by ``_fields``).
FORMS = {
    "/console/persons/{person_id}/remove": {"reason": "越权测试", "confirm": "yes"},
    "/console/persons/{person_id}/minor": {"is_minor": "yes"},
    "/console/verifications/{failure_id}/review": {"decision": "dismiss", "note": "越权测试"},
    "/console/lessons/{lesson_id}/assign": {"person_id": "{person_id}"},
    "/console/persons": {"centre_id": "{centre_id}", "name": "越权测试", "case_type": "缓刑",
                         "id_number": make_id_number(77)},
    "/console/terminals/token": {"centre_id": "{centre_id}"},
    "/console/leaves/decide": {"leave_key": LEAVE_B, "decision": "approve"},
    "/console/approvals/decide": {"approval_key": APPROVAL_B, "decision": "approve"},
    "/console/centres": {"name": "越权中心"},
    "/console/staff": {"username": "sneaky", "password": PASSWORD, "role": "admin"},
    "/console/lessons": {"title": "越权上传"},
    "/console/lesson-credit/group": {"lesson_id": "{lesson_id}", "centre_id": "{centre_id}",
                                     "case_type": ""},
    "/console/lesson-credit/quiz": {"lesson_id": "{lesson_id}", "quiz": "越权\n*甲\n乙",
                                    "pass_mark": "1"},
    "/console/terminals/{terminal_id}/commands": {"kind": "lock"},
    "/console/terminals/{terminal_id}/config": {"idle_timeout_s": "20"},
    "/console/fleet/centres/{centre_id}/config": {"idle_timeout_s": "20"},
    "/console/persons/{person_id}/plan": {"kind": "weekly", "start": "2026-01-05",
                                          "window_days": "3", "weekday": "2",
                                          "effective": "2026-01-01"},
    "/console/questionnaires/assign": {"person_id": "{person_id}", "questionnaire_id": "phq9"},
}
# A 1x1 PNG: centre B's terminal answers a screenshot command with it.
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
           "rkJggg==")


@dataclass
class World:
    base_url: str
    app: object
    admin: StaffConsole
    staff_a: StaffConsole
    editor: StaffConsole
    terminal_a: TerminalClient
    ids: dict[str, int]  # path parameter -> a row of centre B
    markers: list[str]   # texts that only centre B's data puts on a page


def _signed_in(base_url: str, username: str) -> StaffConsole:
    console = StaffConsole(base_url)
    console.get("/console/login")
    console.post("/console/login", {"username": username, "password": PASSWORD,
                                    "next": "/console/lessons"})
    return console


def _terminal(base_url: str, admin: StaffConsole, centre: int, name: str) -> TerminalClient:
    answer = enrol(base_url, admin.create_token(centre), name).json()
    return TerminalClient(base_url, answer["terminal_id"], answer["secret"], answer["centre_id"])


@pytest.fixture(scope="module", params=DATABASES)
def world(request, tmp_path_factory):
    with module_database(request.param, tmp_path_factory) as database_url:
        data_dir = tmp_path_factory.mktemp("central")
        base_url, password, stop = start_server(database_url, data_dir)
        try:
            yield _build_world(base_url, password, database_url, data_dir,
                               tmp_path_factory.mktemp("media"))
        finally:
            stop()


def _build_world(base_url, password, database_url, data_dir, media: Path) -> World:
    admin = StaffConsole(base_url)
    admin.login("admin", password)
    centre_a, centre_b = admin.create_centre("城关司法所"), admin.create_centre(CENTRE_B)
    admin.create_staff("staff_a", PASSWORD, "staff", centre_a)
    admin.create_staff("editor", PASSWORD, "editor")
    id_b = make_id_number(2)
    person_a = admin.create_person(centre_a, NAME_A, make_id_number(1), "缓刑")
    person_b = admin.create_person(centre_b, NAME_B, id_b, "假释", "每月报到两次")
    terminal_a = _terminal(base_url, admin, centre_a, "城关一号机")
    terminal_b = _terminal(base_url, admin, centre_b, TERMINAL_B)
    photo = b64(jpeg_bytes())
    stored = terminal_a.post_events(event("checkin", person_a, match_score=0.93,
                                          snapshot_jpeg_b64=photo)).json()["results"]
    # B's check-in is a month old, so B is also on the overdue reporting list.
    month_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)).isoformat()
    stored += terminal_b.post_events(
        {**event("checkin", person_b, match_score=0.91, snapshot_jpeg_b64=photo),
         "occurred_at": month_ago},
        event("leave_request", person_b, key=LEAVE_B, destination=DESTINATION_B,
              start_date="2026-07-01", end_date="2026-07-03", reason="探望病重的母亲"),
        event("staff_call", person_b, screen="leave_form"),
        event("approval_request", person_b, key=APPROVAL_B, type="place_change",
              start_date=(dt.date.today() + dt.timedelta(days=40)).isoformat(),
              place=NEW_PLACE_B, reason="随子女居住"),
        event("verification_failure", person_b, reason="liveness_failed", claimed=True,
              attempt=2, stage="liveness", liveness_reason="static_image",
              challenges=["blink", "turn_left"], face_distance=0.41,
              face_encoding=[0.1] * 128, snapshot_jpeg_b64=photo),
        event("written_report", person_b, form="pages", pages_jpeg_b64=[photo])).json()["results"]
    assert [r["status"] for r in stored] == ["stored"] * 7, stored
    lesson = admin.upload_lesson("河西专题课", write_video(media / "lesson.mp4"))
    admin.assign_lesson(lesson, person_b)
    credited = terminal_b.post_events(event(
        "lesson_credit", person_b, lesson_id=lesson, credited_seconds=90.0,
        furthest_seconds=95.0, position_seconds=95.0)).json()["results"]
    assert [r["status"] for r in credited] == ["stored"], credited
    admin.post("/console/lesson-credit/group", {"lesson_id": str(lesson),
                                               "centre_id": str(centre_b), "case_type": "假释"})
    [group_b] = [int(r["group-id"]) for r in admin.rows("/console/lesson-credit")
                 if "group-id" in r]

    [checkin_b] = [c["id"] for c in admin.checkins() if c["person_id"] == person_b]
    [failure_b] = [f["id"] for f in admin.verifications() if f["person_id"] == person_b]
    [call_b] = [c["id"] for c in admin.open_staff_calls() if c["terminal"] == TERMINAL_B]
    [report_b] = [int(r["id"]) for r in admin.rows("/console/reports")
                  if r["person-id"] == str(person_b)]
    [terminal_row_b] = [int(r["id"]) for r in admin.terminals()
                        if r.get("terminal-id") == terminal_b.terminal_id]
    # B's terminal reports, answers a screenshot with a picture, and has a lock pending.
    for kind in ("screenshot", "lock"):
        admin.post(f"/console/terminals/{terminal_row_b}/commands", {"kind": kind})
    pending = heartbeat(terminal_b).json()["commands"]
    assert [c["kind"] for c in pending] == ["screenshot", "lock"], pending
    shot_b = pending[0]["id"]
    assert command_result(terminal_b, shot_b, status="done", message="屏幕截图",
                          attachment_b64=PNG_1PX, attachment_type="image/png").status_code == 200
    admin.post(f"/console/fleet/centres/{centre_b}/config", {"idle_timeout_s": "120"})
    # B reports weekly since a month before its last check-in and has a judgment date, so
    # B is on both reporting lists (missed windows, late first report).
    plan_start = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    admin.post(f"/console/persons/{person_b}/plan", {
        "kind": "weekly", "start": plan_start, "window_days": "2", "weekday": "0",
        "effective": plan_start})
    # B answered a PHQ-9 (a critical one), and has a GAD-7 waiting.
    for questionnaire in ("phq9", "gad7"):
        admin.post("/console/questionnaires/assign", {"person_id": str(person_b),
                                                      "questionnaire_id": questionnaire})
    [phq9_b] = [a for a in terminal_b.get(f"/terminal/persons/{person_b}/questionnaires")
                .json()["assignments"] if a["questionnaire_id"] == "phq9"]
    answered = terminal_b.post_events(event(
        "questionnaire_result", person_b, assignment_id=phq9_b["assignment_id"],
        questionnaire_id="phq9", version=1, answers=[2, 2, 1, 1, 0, 0, 0, 0, 1])).json()
    assert [r["status"] for r in answered["results"]] == ["stored"], answered
    [result_b] = [int(r["result-id"]) for r in admin.rows("/console/questionnaires")
                  if "result-id" in r]
    ids = {"person_id": person_b, "checkin_id": checkin_b, "failure_id": failure_b,
           "call_id": call_b, "terminal_id": terminal_row_b, "lesson_id": lesson,
           "centre_id": centre_b, "account_id": 1, "command_id": shot_b,
           "pending_command_id": pending[1]["id"], "report_id": report_b, "index": 0,
           "group_id": group_b, "result_id": result_b,
           "assignment_id": phq9_b["assignment_id"], "questionnaire_id": "phq9", "version": 1}
    markers = [NAME_B, mask_name(NAME_B), id_b, id_b[:6] + "********" + id_b[-4:], CENTRE_B,
               TERMINAL_B, terminal_b.terminal_id, LEAVE_B, DESTINATION_B, APPROVAL_B, NEW_PLACE_B,
               f"/checkins/{checkin_b}/", f"/verifications/{failure_b}/",
               f"/staff-calls/{call_b}/", f"/terminals/{terminal_row_b}/",
               f"/reports/{report_b}/",
               f"person:{person_b}", f'data-person-id="{person_b}"', f'"id": {person_b},',
               f"/questionnaires/results/{result_b}", f'data-result-id="{result_b}"',
               f'"assignment_id": {phq9_b["assignment_id"]}']
    app = create_app(database_url, data_dir)  # only to list its routes
    return World(base_url, app, admin, _signed_in(base_url, "staff_a"),
                 _signed_in(base_url, "editor"), terminal_a, ids, markers)


def _url(world: World, path: str) -> str:
    for name, value in world.ids.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"no centre-B row for a parameter of {path}"
    return world.base_url + path


def _fields(world: World, path: str) -> dict[str, str]:
    fields = {}
    for key, value in FORMS.get(path, {}).items():
        for name, row in world.ids.items():
            value = value.replace("{" + name + "}", str(row))
        fields[key] = value
    return fields


def _call(world: World, console: StaffConsole, method: str, path: str) -> requests.Response:
    data = None
    if method == "POST":
        data = dict(_fields(world, path), csrf_token=console._csrf)
    return console.session.request(method, _url(world, path), data=data, timeout=30)


def _leaks(world: World, answer: requests.Response) -> list[str]:
    """B's markers in the answer, leaving aside the echo of the URL asked for (the
    language switch links back to it)."""
    body = answer.content.decode("utf-8", "replace")
    for r in [*answer.history, answer]:
        body = body.replace(requests.utils.urlparse(r.request.url).path, "")
    return [m for m in world.markers if m in body]


def _probes(*kinds: str) -> list[tuple[str, str]]:
    return [key for key, kind in PROBES.items() if kind in kinds]


def test_every_route_is_classified(world):
    served = set(app_operations(world.app))
    unclassified = sorted(served - set(PROBES), key=lambda k: (k[1], k[0]))
    assert not unclassified, (
        "routes with no scope probe: add each to PROBES in this file (and FORMS for a "
        f"form post) so the scope proof covers it: {unclassified}")
    gone = sorted(set(PROBES) - served)
    assert not gone, f"PROBES lists routes the app no longer has: {gone}"


def test_the_administrator_sees_centre_b_on_every_probed_read(world):
    """The probes can see a leak: the same reads show B's data to an administrator."""
    for method, path in _probes("list", "admin", "row"):
        if method != "GET":
            continue
        answer = _call(world, world.admin, method, path)
        assert answer.status_code == 200, (path, answer.status_code)
        if PROBES[(method, path)] != "row":
            assert _leaks(world, answer), f"{path}: the administrator sees nothing of B"


def test_centre_a_staff_get_nothing_of_centre_b(world):
    staff = world.staff_a
    before = _state(world)
    for (method, path), kind in PROBES.items():
        if kind == "session" or kind.startswith("api_"):
            continue
        answer = _call(world, staff, method, path)
        expected = {"open": {200}, "list": {200}, "shared": {200, 400}, "admin": {403},
                    "row": {404}, "post_row": {404}, "post_form": {400, 404}}[kind]
        assert answer.status_code in expected, (method, path, answer.status_code)
        assert not _leaks(world, answer), (method, path, _leaks(world, answer))
    assert NAME_A in staff.get("/console/persons").text  # their own centre is there
    assert _state(world) == before


def test_a_content_editor_gets_nothing_of_any_person(world):
    editor = world.editor
    before = _state(world)
    for (method, path), kind in PROBES.items():
        if kind == "session" or kind.startswith("api_"):
            continue
        answer = _call(world, editor, method, path)
        if kind == "open" or path in ("/console/lessons", "/console/"):
            assert answer.status_code in (200, 400), (method, path, answer.status_code)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code)
        assert not _leaks(world, answer), (method, path, _leaks(world, answer))
        assert NAME_A not in answer.text, (method, path)
    assert _state(world) == before


def _state(world: World) -> tuple:
    """What a refused post must not change, as the administrator sees it."""
    admin = world.admin
    return (sorted((p["id"], p.get("removed", ""), p.get("name", "")) for p in admin.persons()),
            sorted(c["id"] for c in admin.open_staff_calls()),
            sorted((f["id"], f["status"]) for f in admin.verifications()),
            sorted((r["id"], r.get("revoked", ""), r.get("disabled", "")) for r in admin.terminals()),
            admin.pending_leaves(),
            [r["key"] for r in admin.rows("/console/approvals")],
            admin.get("/console/lessons").text.count("data-person-id"),
            admin.get("/console/lesson-credit").text.count("data-group-id"),
            sorted(r.get("assignment-id", r.get("result-id")) for r in admin.rows("/console/questionnaires")),
            sorted(r["command-id"] for r in admin.rows(f"/console/terminals/{world.ids['terminal_id']}")
                   if "command-id" in r),
            admin.rows(f"/console/persons/{world.ids['person_id']}/plan"))


def _centre_config_target(world, terminal):
    """Centre A's terminal asks for centre B's configuration target (listed by hash in
    the signed targets, which all terminals read)."""
    def meta(name):
        return terminal.get(f"/content/metadata/{name}").json()["signed"]

    snapshot = meta(f"{meta('timestamp.json')['meta']['snapshot.json']['version']}.snapshot.json")
    targets = meta(f"{snapshot['meta']['targets.json']['version']}.targets.json")["targets"]
    name = f"centre-{world.ids['centre_id']}.json"
    sha256 = targets[f"config/{name}"]["hashes"]["sha256"]
    return terminal.get(f"/content/targets/config/{sha256}.{name}")


def test_a_terminal_of_centre_a_gets_nothing_of_centre_b(world):
    terminal = world.terminal_a
    for (method, path), kind in PROBES.items():
        if not kind.startswith("api_"):
            continue
        api_path = path.removeprefix("/api/v1")
        if kind == "api_enrol":
            answer = requests.post(_url(world, path), json={
                "token": "not-a-token", "name": "x", "public_key": "x"}, timeout=10)
            assert 400 <= answer.status_code < 500
        elif kind == "api_list":
            answer = terminal.get(api_path)
            assert answer.status_code == 200
            assert world.ids["person_id"] not in [p["id"] for p in answer.json()["persons"]]
        elif kind == "api_heartbeat":
            answer = heartbeat(terminal)
            assert answer.status_code == 200
            body = answer.json()
            assert body["commands"] == []  # B's pending lock is not A's
            assert body["config"]["idle_timeout_s"] != 120  # nor is B's centre's setting
        elif kind == "api_command":
            for command_id in (world.ids["command_id"], world.ids["pending_command_id"]):
                answer = command_result(terminal, command_id, status="done", message="x")
                assert answer.status_code == 404, (path, answer.status_code)
        elif kind == "api_content" and path.endswith("{name}"):
            answer = terminal.get("/content/metadata/timestamp.json")
            assert answer.status_code == 200
        elif kind == "api_content":
            answer = _centre_config_target(world, terminal)
            assert answer.status_code == 404, (path, answer.status_code)
        elif kind == "api_events":
            answer = terminal.post_events(
                event("checkin", world.ids["person_id"], match_score=0.9),
                event("leave_return", world.ids["person_id"], leave_key=LEAVE_B),
                event("approval_request", world.ids["person_id"], type="move",
                      start_date=dt.date.today().isoformat(), reason="越权"),
                event("questionnaire_result", world.ids["person_id"],
                      assignment_id=world.ids["assignment_id"], questionnaire_id="phq9",
                      version=1, answers=[0] * 9))
            assert [r["status"] for r in answer.json()["results"]] == ["rejected"] * 4
        elif kind == "api_shared":
            answer = terminal.get(_url(world, api_path).removeprefix(world.base_url))
            assert answer.status_code == 200, (path, answer.status_code)
        else:
            answer = terminal.get(_url(world, api_path).removeprefix(world.base_url))
            assert answer.status_code == 404, (path, answer.status_code)
        assert not _leaks(world, answer), (path, _leaks(world, answer))
