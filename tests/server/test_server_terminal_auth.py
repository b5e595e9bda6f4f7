"""Enrolment with one-time tokens, and refusal of unauthenticated terminals."""
from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import func, select

from server_api import contract
from server_api.server.db import Database
from server_api.server.models import EnrolToken, Terminal

from tests.server.central_helpers import API, TerminalClient, enrol
from tests.staff_console import StaffConsole, start_server


def _terminal_count(database_url: str) -> int:
    db = Database(database_url)
    try:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(Terminal))
    finally:
        db.dispose()


def test_a_token_enrols_one_terminal_once(server, admin):
    centre = admin.create_centre("城关司法所")
    token = admin.create_token(centre)

    first = enrol(server.base_url, token, "大厅一号机")
    assert first.status_code == 200
    answer = contract.EnrolResponse.model_validate(first.json())
    assert answer.centre_id == centre and answer.centre_name == "城关司法所"
    assert len(answer.secret) >= 40

    again = enrol(server.base_url, token, "another")
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "enrol_token_invalid"
    unknown = enrol(server.base_url, "not-a-token-anyone-issued")
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "enrol_token_invalid"
    assert _terminal_count(server.database_url) == 1

    terminal = TerminalClient(server.base_url, answer.terminal_id, answer.secret, centre)
    roster = terminal.get("/terminal/roster")
    assert roster.status_code == 200 and roster.json()["centre_name"] == "城关司法所"
    listed = admin.terminals()
    assert [t["terminal-id"] for t in listed] == [answer.terminal_id]


def test_secrets_and_tokens_are_stored_only_as_digests(server, admin):
    token = admin.create_token(admin.create_centre("城关司法所"))
    answer = enrol(server.base_url, token).json()
    db = Database(server.database_url)
    try:
        with db.session() as session:
            terminal = session.scalar(select(Terminal))
            stored_token = session.scalar(select(EnrolToken))
            assert answer["secret"] not in terminal.secret_sha256
            assert stored_token.token_sha256 != token and stored_token.used_at is not None
    finally:
        db.dispose()


def test_an_expired_token_is_refused(database_url, tmp_path):
    now = [dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.timezone.utc)]
    base_url, password, stop = start_server(database_url, tmp_path / "data", clock=lambda: now[0])
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        token = admin.create_token(admin.create_centre("城关司法所"))
        now[0] += dt.timedelta(hours=24, seconds=1)
        late = enrol(base_url, token)
        assert late.status_code == 401 and late.json()["error"]["code"] == "enrol_token_invalid"
        now[0] -= dt.timedelta(seconds=2)  # still within its 24 hours
        assert enrol(base_url, token).status_code == 200
    finally:
        stop()


def test_unauthenticated_terminals_are_refused(world):
    base = world.server.base_url + API + "/terminal/roster"
    good = world.terminal.http.headers["Authorization"]
    attempts = {
        "missing": {},
        "other scheme": {"Authorization": "Bearer abc"},
        "no secret": {"Authorization": f"Terminal {world.terminal.terminal_id}"},
        "wrong secret": {"Authorization": f"Terminal {world.terminal.terminal_id}:wrong"},
        "unknown terminal": {"Authorization": "Terminal t-0000000000000000:" + good.split(":")[1]},
    }
    for label, headers in attempts.items():
        answer = requests.get(base, headers=headers, timeout=5)
        assert answer.status_code == 401, label
        assert answer.json()["error"]["code"] == "terminal_unauthenticated", label
    assert requests.get(base, headers={"Authorization": good}, timeout=5).status_code == 200


def test_a_revoked_terminal_is_refused(world):
    assert world.terminal.get("/terminal/roster").status_code == 200
    world.admin.revoke_terminal(world.terminal.terminal_id)
    for path in ("/terminal/roster", f"/terminal/persons/{world.person_a}/leaves"):
        answer = world.terminal.get(path)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "terminal_unauthenticated"
    refused = world.terminal.post_events(
        {"idempotency_key": "k" * 16, "kind": "checkin", "person_id": world.person_a,
         "occurred_at": "2025-01-01T08:00:00+08:00", "payload": {"match_score": 0.9}})
    assert refused.status_code == 401
    assert [t["revoked"] for t in world.admin.terminals()] == ["yes"]
