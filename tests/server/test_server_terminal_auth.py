"""Enrolment with one-time tokens and the terminal's own key, and refusal of any
terminal request that is not freshly signed (RFC 9421) by an enrolled, unrevoked key."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from pathlib import Path

import secrets

import pytest
import requests
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from server_api import contract, signing
from server_api.client import CentralClient
from server_api.server import terminal_auth
from server_api.server.db import Database
from server_api.server.models import EnrolToken, Terminal, TerminalNonce

from tests.server.central_helpers import (
    API, TerminalClient, enrol, event, provisioned_terminal, signature_auth, signed_session,
)
from tests.staff_console import StaffConsole, start_server


def _count(database_url: str, model) -> int:
    db = Database(database_url)
    try:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(model))
    finally:
        db.dispose()


def _refusal(answer: requests.Response) -> str:
    """The error code of a 401 refusal (and the checks every refusal must pass)."""
    assert answer.status_code == 401, (answer.status_code, answer.text)
    body = answer.json()
    assert set(body["error"]) == {"code", "message"}
    assert "Accept-Signature" in answer.headers
    return body["error"]["code"]


def _prepared(terminal: TerminalClient, method: str, path: str, **kwargs) -> requests.PreparedRequest:
    """A request the terminal signed, not yet sent (to be tampered with or replayed)."""
    return terminal.http.prepare_request(
        requests.Request(method, terminal.base_url + API + path, **kwargs))


def _send(prepared: requests.PreparedRequest) -> requests.Response:
    with requests.Session() as session:
        return session.send(prepared, timeout=10)


# --- enrolment ---------------------------------------------------------------------------

def test_a_token_enrols_one_terminal_once(server, admin):
    centre = admin.create_centre("城关司法所")
    token = admin.create_token(centre)

    first = enrol(server.base_url, token, "大厅一号机")
    assert first.status_code == 200
    answer = contract.EnrolResponse.model_validate(first.response.json())
    assert answer.centre_id == centre and answer.centre_name == "城关司法所"
    assert set(first.response.json()) == {"terminal_id", "centre_id", "centre_name"}

    again = enrol(server.base_url, token, "another")
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "enrol_token_invalid"
    unknown = enrol(server.base_url, "not-a-token-anyone-issued")
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "enrol_token_invalid"
    assert _count(server.database_url, Terminal) == 1

    terminal = first.terminal()
    roster = terminal.get("/terminal/roster")
    assert roster.status_code == 200 and roster.json()["centre_name"] == "城关司法所"
    listed = admin.terminals()
    assert [t["terminal-id"] for t in listed] == [answer.terminal_id]


def test_only_the_public_key_and_token_digests_are_stored(server, admin):
    token = admin.create_token(admin.create_centre("城关司法所"))
    enrolment = enrol(server.base_url, token)
    assert enrolment.status_code == 200
    private_pem = signing.private_key_pem(enrolment.key)
    private_raw = enrolment.key.private_bytes(serialization.Encoding.Raw,
                                              serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption())
    db = Database(server.database_url)
    try:
        with db.session() as session:
            terminal = session.scalar(select(Terminal))
            stored_token = session.scalar(select(EnrolToken))
            assert terminal.public_key == signing.raw_public_key(enrolment.key.public_key())
            assert stored_token.token_sha256 != token and stored_token.used_at is not None
            assert stored_token.terminal_id == terminal.id
    finally:
        db.dispose()
    # Nothing of the private key anywhere in the database file (SQLite) or its rows.
    if server.database_url.startswith("sqlite"):
        path = Path(server.database_url.removeprefix("sqlite:///"))
        stored = b"".join(f.read_bytes() for f in path.parent.glob(path.name + "*"))
        assert signing.raw_public_key(enrolment.key.public_key()).encode() in stored
        for secret in (private_raw, base64.b64encode(private_raw), private_pem.split(b"\n")[1]):
            assert secret not in stored


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


def test_a_bad_or_known_public_key_is_refused_and_the_token_kept(server, admin):
    token = admin.create_token(admin.create_centre("城关司法所"))
    url = server.base_url + API + "/terminals/enrol"
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for label, key in {"garbage": "not a key", "rsa": rsa_pem, "empty": " "}.items():
        answer = requests.post(url, json={"token": token, "name": "x", "public_key": key}, timeout=10)
        assert answer.status_code == 422, label
        assert answer.json()["error"]["code"] == "public_key_invalid", label
    missing = requests.post(url, json={"token": token, "name": "x"}, timeout=10)
    assert missing.status_code == 422 and "public_key" in missing.json()["error"]["message"]

    first = enrol(server.base_url, token)
    assert first.status_code == 200  # the refusals did not spend the token
    second_token = admin.create_token(admin.create_centre("河西司法所"))
    reused = enrol(server.base_url, second_token, key=first.key)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "public_key_in_use"
    assert enrol(server.base_url, second_token).status_code == 200


# --- signed requests ----------------------------------------------------------------------

def test_a_signed_request_succeeds_and_covers_the_profile(world):
    terminal = world.terminal
    prepared = _prepared(terminal, "POST", "/terminal/events",
                         json={"events": [event("checkin", world.person_a, match_score=0.9)]})
    params = prepared.headers["Signature-Input"]
    assert params.startswith(f'{signing.SIGNATURE_LABEL}=(')
    for component in signing.COVERED_COMPONENTS:
        assert f'"{component}"' in params
    assert f'keyid="{terminal.terminal_id}"' in params and 'alg="ed25519"' in params
    assert ";created=" in params and ";nonce=" in params
    digest = base64.b64encode(hashlib.sha256(prepared.body).digest()).decode()
    assert prepared.headers["Content-Digest"] == f"sha-256=:{digest}:"
    stored = _send(prepared)
    assert stored.status_code == 200, stored.text
    assert stored.json()["results"][0]["status"] == "stored"

    for path in ("/terminal/roster", f"/terminal/persons/{world.person_a}/leaves",
                 f"/terminal/persons/{world.person_a}/lessons"):
        assert terminal.get(path).status_code == 200, path
    assert world.admin.terminals()[0]["terminal-id"] == terminal.terminal_id
    assert _count(world.server.database_url, TerminalNonce) == 4


def test_tampered_wrong_unknown_and_malformed_signatures_are_refused(world):
    terminal = world.terminal
    url = world.server.base_url + API
    checkin = {"events": [event("checkin", world.person_a, match_score=0.9)]}

    assert _refusal(requests.get(url + "/terminal/roster", timeout=10)) == "signature_missing"
    assert _refusal(requests.get(url + "/terminal/roster", timeout=10, headers={
        "Authorization": "Terminal t-0:secret"})) == "signature_missing"

    # The body changed after signing: the signed digest no longer describes it.
    body = _prepared(terminal, "POST", "/terminal/events", json=checkin)
    body.body = body.body.replace(b"0.9", b"0.1")
    assert _refusal(_send(body)) == "digest_mismatch"
    # ... and with a digest made to match, the signature no longer does.
    body.headers["Content-Digest"] = signing_digest(body.body)
    assert _refusal(_send(body)) == "signature_invalid"

    # Another path than the one signed (another person's leaves; another endpoint).
    for new_path in (f"/terminal/persons/{world.person_b}/leaves",
                     f"/terminal/persons/{world.person_a}/lessons"):
        moved = _prepared(terminal, "GET", f"/terminal/persons/{world.person_a}/leaves")
        moved.url = url + new_path
        assert _refusal(_send(moved)) == "signature_invalid", new_path
    # A query string the signature did not cover.
    query = _prepared(terminal, "GET", "/terminal/roster")
    query.url += "?centre=2"
    assert _refusal(_send(query)) == "signature_invalid"

    # The terminal's id, someone else's key.
    impostor = signed_session(terminal.terminal_id, signing.generate_private_key())
    assert _refusal(impostor.get(url + "/terminal/roster", timeout=10)) == "signature_invalid"
    # A key id nobody enrolled (and one longer than any id).
    for keyid in ("t-0000000000000000", "t-" + "0" * 200):
        stranger = signed_session(keyid, signing.generate_private_key())
        assert _refusal(stranger.get(url + "/terminal/roster", timeout=10)) == "terminal_unknown"

    # Missing parts of the profile.
    no_nonce = _prepared(terminal, "GET", "/terminal/roster")
    no_nonce.headers["Signature-Input"] = _drop_param(no_nonce.headers["Signature-Input"], "nonce")
    assert _refusal(_send(no_nonce)) == "signature_invalid"
    short_nonce = requests.Session()
    short_nonce.auth = signature_auth(terminal.terminal_id, terminal.key, nonce="abc")
    assert _refusal(short_nonce.get(url + "/terminal/roster", timeout=10)) == "signature_invalid"
    for covered in (("@method", "@path", "@query"), ("@path", "@query", "content-digest"),
                    ("@method", "content-digest")):
        # Validly signed, but not over what the profile asks for.
        weak = requests.Request("GET", url + "/terminal/roster").prepare()
        HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={terminal.terminal_id: terminal.key})).sign(
            weak, key_id=terminal.terminal_id, nonce=secrets.token_urlsafe(16),
            label="terminal", covered_component_ids=covered,
            body=b"" if "content-digest" in covered else None)
        assert _refusal(_send(weak)) == "signature_invalid", covered
    for garbage in ('terminal=("@method"', "x", 'a=("@method");created=1, b=("@path");created=1'):
        bad = _prepared(terminal, "GET", "/terminal/roster")
        bad.headers["Signature-Input"] = garbage
        assert _refusal(_send(bad)) == "signature_invalid", garbage
    broken = _prepared(terminal, "GET", "/terminal/roster")
    broken.headers["Signature"] = "terminal=:AAAA:"
    assert _refusal(_send(broken)) == "signature_invalid"
    assert _count(world.server.database_url, TerminalNonce) == 0  # nothing was accepted

    # And the genuine terminal still gets in.
    assert terminal.post_events(*checkin["events"]).status_code == 200


def signing_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _drop_param(signature_input: str, name: str) -> str:
    return ";".join(p for p in signature_input.split(";") if not p.startswith(name + "="))


def test_a_replayed_signature_is_refused(world):
    request = _prepared(world.terminal, "POST", "/terminal/events",
                        json={"events": [event("checkin", world.person_a, match_score=0.9)]})
    first = _send(request)
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "stored"
    assert _refusal(_send(request)) == "nonce_replayed"
    get = _prepared(world.terminal, "GET", "/terminal/roster")
    assert _send(get).status_code == 200
    assert _refusal(_send(get)) == "nonce_replayed"
    # Each request of the client is signed afresh, with a new nonce.
    assert world.terminal.get("/terminal/roster").status_code == 200
    assert world.terminal.get("/terminal/roster").status_code == 200


def test_a_nonce_is_refused_by_every_server_process_sharing_the_database(world, tmp_path):
    """Two servers (as two worker processes would be) on one database."""
    other_url, _password, stop = start_server(world.server.database_url, tmp_path / "other")
    try:
        request = _prepared(world.terminal, "GET", "/terminal/roster")
        assert _send(request).status_code == 200
        request.url = request.url.replace(world.server.base_url, other_url)
        assert _refusal(_send(request)) == "nonce_replayed"
        fresh = _prepared(world.terminal, "GET", "/terminal/roster")
        fresh.url = fresh.url.replace(world.server.base_url, other_url)
        assert _send(fresh).status_code == 200
    finally:
        stop()


def test_stale_and_future_signatures_are_refused(world):
    url = world.server.base_url + API + "/terminal/roster"
    now = dt.datetime.now(dt.timezone.utc)
    for label, offset in {"stale": -301 - 5, "future": 301 + 5}.items():
        session = requests.Session()
        session.auth = signature_auth(world.terminal.terminal_id, world.terminal.key,
                                      created=now + dt.timedelta(seconds=offset))
        answer = session.get(url, timeout=10)
        assert _refusal(answer) == "signature_expired", label
        assert ("ago" if label == "stale" else "ahead") in answer.json()["error"]["message"]
    within = requests.Session()
    within.auth = signature_auth(world.terminal.terminal_id, world.terminal.key,
                                 created=now - dt.timedelta(seconds=240))
    assert within.get(url, timeout=10).status_code == 200


def test_the_allowed_skew_is_configurable_and_nonces_are_purged(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_CENTRAL_SIGNATURE_MAX_SKEW_S", "30")
    now = [dt.datetime.now(dt.timezone.utc).replace(microsecond=0)]
    base_url, password, stop = start_server(database_url, tmp_path / "data", clock=lambda: now[0])
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        terminal = provisioned_terminal(base_url, admin.create_token(admin.create_centre("城关司法所")))

        def signed_at(moment: dt.datetime) -> requests.Response:
            session = requests.Session()
            session.auth = signature_auth(terminal.terminal_id, terminal.key, created=moment)
            return session.get(base_url + API + "/terminal/roster", timeout=10)

        assert signed_at(now[0] - dt.timedelta(seconds=25)).status_code == 200
        assert _refusal(signed_at(now[0] - dt.timedelta(seconds=40))) == "signature_expired"
        assert _count(database_url, TerminalNonce) == 1

        now[0] += dt.timedelta(minutes=10)
        monkeypatch.setattr(terminal_auth, "_next_purge", 0.0)
        assert signed_at(now[0]).status_code == 200
        assert _count(database_url, TerminalNonce) == 1  # the old one purged, this one kept
    finally:
        stop()


def test_the_client_signs_by_the_servers_clock_when_its_own_is_wrong(world):
    client = CentralClient(world.server.base_url, world.terminal.terminal_id, world.terminal.key)
    client.auth.clock_offset_s = -3600.0  # the kiosk's clock is an hour late
    assert client.roster().centre_id == world.centre_a
    assert abs(client.auth.clock_offset_s) < 5
    assert client.roster().centre_id == world.centre_a


# --- revocation and provisioning again -------------------------------------------------

def test_a_revoked_terminal_is_refused_and_provisioned_again_with_a_new_key(world):
    old = world.terminal
    assert old.get("/terminal/roster").status_code == 200
    world.admin.revoke_terminal(old.terminal_id)
    for path in ("/terminal/roster", f"/terminal/persons/{world.person_a}/leaves"):
        assert _refusal(old.get(path)) == "terminal_revoked", path
    refused = old.post_events(event("checkin", world.person_a, match_score=0.9))
    assert _refusal(refused) == "terminal_revoked"
    # An impostor learns nothing about the revocation: a wrong key is just wrong.
    impostor = signed_session(old.terminal_id, signing.generate_private_key())
    assert _refusal(impostor.get(world.server.base_url + API + "/terminal/roster",
                                 timeout=10)) == "signature_invalid"
    assert [t["revoked"] for t in world.admin.terminals()] == ["yes"]

    token = world.admin.create_token(world.centre_a)
    same_key = enrol(world.server.base_url, token, key=old.key)
    assert same_key.status_code == 409 and same_key.json()["error"]["code"] == "public_key_in_use"
    again = enrol(world.server.base_url, token, "大厅一号机")
    assert again.status_code == 200
    new = again.terminal()
    assert new.terminal_id != old.terminal_id
    assert new.get("/terminal/roster").status_code == 200
    assert new.post_events(event("checkin", world.person_a, match_score=0.9)).status_code == 200
    assert _refusal(old.get("/terminal/roster")) == "terminal_revoked"
    assert sorted(t["revoked"] for t in world.admin.terminals()) == ["no", "yes"]


def test_refusals_never_log_the_key_or_the_signature(world, caplog):
    caplog.set_level(logging.DEBUG)
    request = _prepared(world.terminal, "GET", "/terminal/roster")
    assert _send(request).status_code == 200
    assert _refusal(_send(request)) == "nonce_replayed"
    pem = signing.private_key_pem(world.terminal.key).decode()
    signature = request.headers["Signature"].split(":")[1]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "nonce_replayed" in logged
    assert signature not in logged and pem.splitlines()[1] not in logged
    assert repr(world.terminal.auth).count("PRIVATE") == 0


@pytest.mark.parametrize("key_form", ["object", "pem", "path"])
def test_the_client_takes_the_key_as_object_pem_or_file(world, tmp_path, key_form):
    key = world.terminal.key
    if key_form == "pem":
        key = signing.private_key_pem(key).decode()
    elif key_form == "path":
        signing.write_private_key(tmp_path / "k.pem", key)
        key = str(tmp_path / "k.pem")
    client = CentralClient(world.server.base_url, world.terminal.terminal_id, key)
    assert client.roster().centre_id == world.centre_a
    assert json.loads(json.dumps(client.leaves(world.person_a).model_dump(mode="json")))["leaves"] == []


# --- revision 0005 ---------------------------------------------------------------------

def test_0005_keys_terminals_both_ways_and_a_terminal_without_a_key_is_unknown(
        database_url, tmp_path):
    """0004 with a terminal enrolled by secret, up to head (no key: refused as unknown),
    a nonce stored, down to 0004 (the terminal keeps its rows, with an empty digest) and
    up again."""
    from alembic import command
    from sqlalchemy import inspect, text

    from server_api.server.migrate import alembic_config, upgrade_to_head

    def migrate(db: Database, revision: str, down: bool = False) -> None:
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)

    at = dt.datetime(2025, 5, 1, 8, 30)
    db = Database(database_url)
    try:
        migrate(db, "0004")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO centres (id, name, created_at) "
                                    "VALUES (1, '城关司法所', :t)"), {"t": at})
            connection.execute(text(
                "INSERT INTO terminals (id, public_id, name, centre_id, secret_sha256, created_at) "
                "VALUES (1, 't-00000000000000aa', '大厅一号机', 1, :digest, :t)"),
                {"t": at, "digest": "ab" * 32})
        upgrade_to_head(db.engine)
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("terminals")}
        assert "secret_sha256" not in columns and columns["public_key"]["nullable"]
        with db.engine.begin() as connection:
            assert connection.execute(text(
                "SELECT id, public_id, public_key FROM terminals")).all() == [
                (1, "t-00000000000000aa", None)]
    finally:
        db.dispose()

    base_url, _password, stop = start_server(database_url, tmp_path / "data")
    try:
        stranger = signed_session("t-00000000000000aa", signing.generate_private_key())
        assert _refusal(stranger.get(base_url + API + "/terminal/roster",
                                     timeout=10)) == "terminal_unknown"
    finally:
        stop()

    db = Database(database_url)
    try:
        key = signing.raw_public_key(signing.generate_private_key().public_key())
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE terminals SET public_key = :k"), {"k": key})
            connection.execute(text("INSERT INTO terminal_nonces (terminal_id, nonce, expires_at) "
                                    "VALUES (1, 'n-0123456789abcdef', :t)"), {"t": at})
        migrate(db, "0004", down=True)
        assert "terminal_nonces" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as connection:
            assert connection.execute(text(
                "SELECT id, public_id, secret_sha256 FROM terminals")).all() == [
                (1, "t-00000000000000aa", "")]
            if db.dialect == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        upgrade_to_head(db.engine)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT public_key FROM terminals")).scalar() is None
    finally:
        db.dispose()


def test_a_suspended_terminal_is_refused_until_let_back_in_with_the_same_key(world):
    """暂停接入: staff suspend a terminal for a while (repair, a doubt); everything it sends
    is refused, nothing of it is stored, and it comes back without being provisioned."""
    terminal = world.terminal
    row = next(r for r in world.admin.terminals() if r["terminal-id"] == terminal.terminal_id)
    world.admin.post(f"/console/terminals/{row['id']}/disable")
    for path in ("/terminal/roster", f"/terminal/persons/{world.person_a}/leaves"):
        assert _refusal(terminal.get(path)) == "terminal_disabled", path
    kept = event("checkin", world.person_a, match_score=0.9)
    assert _refusal(terminal.post_events(kept)) == "terminal_disabled"
    [shown] = [r for r in world.admin.terminals() if r["terminal-id"] == terminal.terminal_id]
    assert shown["disabled"] == "yes" and shown["revoked"] == "no" and shown["state"] == "disabled"
    assert world.admin.checkins() == []

    world.admin.post(f"/console/terminals/{row['id']}/enable")
    assert terminal.get("/terminal/roster").status_code == 200
    answer = terminal.post_events(kept)  # the outbox delivers what waited
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "stored"
    assert len(world.admin.checkins()) == 1
    audit = world.admin.get("/console/audit?action=terminal_disable").text
    assert terminal.terminal_id in audit
