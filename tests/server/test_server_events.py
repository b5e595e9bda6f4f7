"""Roster scoping and event delivery: once per key, in order, a bad event rejected alone."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from server_api import contract
from server_api.server import events as server_events
from server_api.server.db import Database
from server_api.server.errors import ApiError
from server_api.server.models import Checkin, Event, FaceTemplate, Leave, VoiceSample
from server_api.server.storage import FileTxn, Storage

from tests.server.central_helpers import b64, event, jpeg_bytes, wav_bytes


def _count(database_url: str, model) -> int:
    db = Database(database_url)
    try:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(model))
    finally:
        db.dispose()


def _results(answer) -> list[tuple[str, str, str]]:
    """(key, status, code) of each event of a 200 answer."""
    assert answer.status_code == 200, answer.text
    return [(r["idempotency_key"], r["status"], r["code"]) for r in answer.json()["results"]]


def test_roster_lists_only_the_terminals_centre(world):
    answer = world.terminal.get("/terminal/roster")
    assert answer.status_code == 200
    roster = contract.RosterResponse.model_validate(answer.json())
    assert roster.centre_id == world.centre_a and roster.centre_name == "城关司法所"
    assert [(p.id, p.name, p.case_type) for p in roster.persons] == [
        (world.person_a, "张三", contract.CaseType.huanxing)]
    assert roster.persons[0].reporting_obligation == "每周一到司法所报到"
    assert roster.persons[0].face_templates == [] and roster.persons[0].has_voice is False


def test_other_centres_persons_do_not_exist_for_a_terminal(world):
    for path in (f"/terminal/persons/{world.person_b}/leaves",
                 f"/terminal/persons/{world.person_b}/lessons",
                 "/terminal/persons/999999/leaves"):
        answer = world.terminal.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "person_not_found"
    other = event("checkin", world.person_b, key="other-centre-01", match_score=0.9)
    assert _results(world.terminal.post_events(other)) == [
        ("other-centre-01", "rejected", "person_not_found")]
    assert _count(world.server.database_url, Event) == 0


def test_the_same_key_twice_is_stored_once_and_order_is_kept(world):
    first = event("checkin", world.person_a, key="checkin-0001", match_score=0.91,
                  snapshot_jpeg_b64=b64(jpeg_bytes()))
    second = event("checkin", world.person_a, key="checkin-0002", match_score=0.87)
    answer = world.terminal.post_events(first, second, first)
    assert answer.status_code == 200
    assert answer.json() == {"results": [
        {"idempotency_key": "checkin-0001", "status": "stored", "code": "", "message": ""},
        {"idempotency_key": "checkin-0002", "status": "stored", "code": "", "message": ""},
        {"idempotency_key": "checkin-0001", "status": "duplicate", "code": "", "message": ""}]}

    retry = world.terminal.post_events(second, first)  # e.g. the answer was lost
    assert [r["status"] for r in retry.json()["results"]] == ["duplicate", "duplicate"]
    assert _count(world.server.database_url, Checkin) == 2

    listed = world.admin.checkins()
    assert [(c["person"], c["score"], c["snapshot"]) for c in listed] == [
        ("张三", 0.87, False), ("张三", 0.91, True)]
    assert listed[0]["terminal_id"] == world.terminal.terminal_id
    photo = world.admin.session.get(
        world.server.base_url + f"/console/checkins/{listed[1]['id']}/snapshot", timeout=5)
    assert photo.status_code == 200 and photo.content == jpeg_bytes()
    assert photo.headers["content-type"] == "image/jpeg"
    stored = list((world.server.data_dir / "snapshots").rglob("*.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == jpeg_bytes()
    assert _audited(world.server.database_url, "checkin_snapshot_view")  # Art 61


def _audited(database_url: str, action: str) -> bool:
    from server_api.server.db import Database
    from server_api.server.models import AuditEntry

    db = Database(database_url)
    try:
        with db.session() as session:
            return session.scalar(select(AuditEntry.id).where(AuditEntry.action == action)) is not None
    finally:
        db.dispose()


def test_one_bad_event_is_rejected_alone_and_evaluated_again_when_resent(world, caplog):
    first = event("checkin", world.person_a, key="poison-good-01", match_score=0.91,
                  snapshot_jpeg_b64=b64(jpeg_bytes()))
    unknown = event("checkin", 999999, key="poison-bad-001", match_score=0.88)
    second = event("leave_request", world.person_a, key="poison-good-02", destination="上海",
                   start_date="2025-07-01", end_date="2025-07-02", reason="办理社保")
    with caplog.at_level(logging.WARNING, logger="server_api.server.events"):
        answer = world.terminal.post_events(first, unknown, second)
    assert _results(answer) == [("poison-good-01", "stored", ""),
                                ("poison-bad-001", "rejected", "person_not_found"),
                                ("poison-good-02", "stored", "")]
    rejected = answer.json()["results"][1]
    assert "poison-bad-001" in rejected["message"] and "999999" in rejected["message"]
    assert _count(world.server.database_url, Event) == 2
    assert _count(world.server.database_url, Checkin) == 1
    assert _count(world.server.database_url, Leave) == 1
    [warning] = [r for r in caplog.records if r.name == "server_api.server.events"]
    assert warning.levelno == logging.WARNING
    logged = warning.getMessage()
    assert world.terminal.terminal_id in logged and "poison-bad-001" in logged
    assert "checkin" in logged and "person_not_found" in logged
    assert "0.88" not in logged  # never the payload

    again = world.terminal.post_events(first, unknown, second)
    assert _results(again) == [("poison-good-01", "duplicate", ""),
                               ("poison-bad-001", "rejected", "person_not_found"),
                               ("poison-good-02", "duplicate", "")]
    assert _count(world.server.database_url, Event) == 2


def test_each_kind_of_bad_event_is_rejected_with_its_code(world):
    cases = [
        (event("checkin", world.person_a, match_score="high"), "invalid_event_payload"),
        (event("checkin", world.person_a, match_score=0.9, snapshot_jpeg_b64="%%%"),
         "invalid_event_payload"),
        (event("checkin", world.person_a, match_score=0.9, snapshot_jpeg_b64=b64(b"GIF89a....")),
         "invalid_event_payload"),
        (event("leave_request", world.person_a, destination="北京", start_date="2025-05-03",
               end_date="2025-05-01", reason="探亲"), "invalid_event_payload"),
        (event("face_enrolment", world.person_a, templates=[[0.1] * 127]), "invalid_event_payload"),
        (event("voice_enrolment", world.person_a, wav_b64=b64(b"not a wav file at all, sorry"),
               seconds=1.0), "invalid_event_payload"),
        (event("lesson_progress", world.person_a, lesson_id=12345, watched_seconds=5),
         "lesson_not_assigned"),
        (event("leave_return", world.person_a, leave_key="no-such-leave"), "leave_not_found"),
        (event("staff_call", world.person_a, screen="x" * 51), "invalid_event_payload"),
        (event("staff_call", world.person_a), "invalid_event_payload"),
        (event("checkin", 0, match_score=0.9), "person_not_found"),  # only a staff call may
        (event("leave_request", 0, destination="北京", start_date="2025-05-01",
               end_date="2025-05-02", reason="探亲"), "person_not_found"),
    ]
    goods = []
    for bad, code in cases:
        good = event("checkin", world.person_a, match_score=0.9,
                     snapshot_jpeg_b64=b64(jpeg_bytes()))
        goods.append(good)
        answer = world.terminal.post_events(good, bad)
        assert _results(answer) == [(good["idempotency_key"], "stored", ""),
                                    (bad["idempotency_key"], "rejected", code)], bad
        assert bad["idempotency_key"] in answer.json()["results"][1]["message"]
    unknown_kind = world.terminal.post_events(dict(goods[0], kind="teleport"))
    assert unknown_kind.status_code == 422
    assert unknown_kind.json()["error"]["code"] == "validation_error"
    short_key = world.terminal.post_events(dict(goods[0], idempotency_key="short"))
    assert short_key.status_code == 422

    assert _count(world.server.database_url, Event) == len(cases)
    assert _count(world.server.database_url, Checkin) == len(cases)
    assert len(list((world.server.data_dir / "snapshots").rglob("*.jpg"))) == len(cases)


def test_a_rejected_event_leaves_no_file_behind(world, monkeypatch):
    """A refusal after the event wrote its file: the row and the file both go."""
    original = server_events.HANDLERS[contract.EventKind.checkin]

    def refuse_low_scores(ctx, ev, row):
        original(ctx, ev, row)
        if ev.payload["match_score"] < 0.5:
            raise ApiError(422, "score_too_low", f"event {ev.idempotency_key}: too low")

    monkeypatch.setitem(server_events.HANDLERS, contract.EventKind.checkin, refuse_low_scores)
    low = event("checkin", world.person_a, key="low-score-0001", match_score=0.2,
                snapshot_jpeg_b64=b64(jpeg_bytes(32, 24)))
    good = event("checkin", world.person_a, key="good-score-001", match_score=0.9,
                  snapshot_jpeg_b64=b64(jpeg_bytes()))
    assert _results(world.terminal.post_events(low, good)) == [
        ("low-score-0001", "rejected", "score_too_low"), ("good-score-001", "stored", "")]
    stored = list((world.server.data_dir / "snapshots").rglob("*.jpg"))
    assert [f.read_bytes() for f in stored] == [jpeg_bytes()]
    assert _count(world.server.database_url, Checkin) == 1
    [checkin] = world.admin.checkins()
    photo = world.admin.session.get(
        world.server.base_url + f"/console/checkins/{checkin['id']}/snapshot", timeout=5)
    assert photo.content == jpeg_bytes()


def test_a_value_the_database_refuses_rejects_the_event_alone(world, monkeypatch):
    from sqlalchemy.exc import DataError

    def refused_by_database(ctx, ev, row):
        raise DataError("INSERT INTO staff_calls ...", {}, ValueError("value too long"))

    monkeypatch.setitem(server_events.HANDLERS, contract.EventKind.staff_call, refused_by_database)
    call = event("staff_call", 0, key="call-refused-01", screen="idle")
    good = event("checkin", world.person_a, key="checkin-after-1", match_score=0.9)
    answer = world.terminal.post_events(call, good)
    assert _results(answer) == [("call-refused-01", "rejected", "invalid_data"),
                                ("checkin-after-1", "stored", "")]
    assert _count(world.server.database_url, Event) == 1


def test_file_txn_nested_undoes_only_the_failed_block(tmp_path):
    storage = Storage(tmp_path / "data")
    storage.write_bytes("voice/1/old.wav", b"old")
    files = FileTxn(storage)
    files.write("kept.bin", b"kept")
    try:
        with files.nested():
            files.write("dropped.bin", b"dropped")
            files.obsolete("voice/1/old.wav")
            raise ApiError(422, "bad", "bad")
    except ApiError:
        pass
    assert not storage.resolve("dropped.bin").exists()
    files.committed()
    assert storage.resolve("kept.bin").read_bytes() == b"kept"
    assert storage.resolve("voice/1/old.wav").read_bytes() == b"old"  # still referenced


def test_face_and_older_voice_enrolment_show_in_roster_and_console(world):
    """The older voice form (one recording, no template) is still stored, as evidence;
    without a template the person has no voice to verify against."""
    templates = [[i / 1000 for i in range(128)], [0.5] * 128]
    answer = world.terminal.post_events(
        event("face_enrolment", world.person_a, templates=[[0.0] * 128]),
        event("face_enrolment", world.person_a, templates=templates),
        event("voice_enrolment", world.person_a, wav_b64=b64(wav_bytes()), seconds=0.5))
    assert [r["status"] for r in answer.json()["results"]] == ["stored"] * 3
    person = world.terminal.get("/terminal/roster").json()["persons"][0]
    assert person["face_templates"] == templates  # the second enrolment replaced the first
    assert (person["has_voice"], person["voice_template"], person["voice_model"]) == (
        False, None, "")
    assert _count(world.server.database_url, FaceTemplate) == 2

    world.terminal.post_events(
        event("voice_enrolment", world.person_a, wav_b64=b64(wav_bytes(0.7)), seconds=0.7))
    assert _count(world.server.database_url, VoiceSample) == 1
    voices = list((world.server.data_dir / "voice").rglob("*.wav"))
    assert [v.read_bytes() for v in voices] == [wav_bytes(0.7)]

    row = next(p for p in world.admin.persons() if p["id"] == str(world.person_a))
    assert (row["faces"], row["voice"]) == ("2", "recording")


def test_a_leave_key_is_the_leave_request_events_key(world):
    request = event("leave_request", world.person_a, key="leave-req-0001", destination="北京市朝阳区",
                    start_date="2025-05-01", end_date="2025-05-03", reason="探望住院的母亲")
    assert world.terminal.post_events(request).status_code == 200
    assert world.terminal.post_events(request).json()["results"][0]["status"] == "duplicate"
    assert _count(world.server.database_url, Leave) == 1
    leaves = world.terminal.get(f"/terminal/persons/{world.person_a}/leaves").json()["leaves"]
    info = contract.LeaveInfo.model_validate(leaves[0])
    assert (info.key, info.status, info.destination) == (
        "leave-req-0001", contract.LeaveStatus.pending, "北京市朝阳区")


def test_odd_requests_get_a_clear_error_never_a_500(world):
    huge = 2**63 + 5
    nul = event("leave_request", world.person_a, destination="北京\x00", start_date="2025-05-01",
                end_date="2025-05-02", reason="探亲")
    long_key = event("checkin", world.person_a, key="k" * 65, match_score=0.9)
    answers = {
        "huge person path": world.terminal.get(f"/terminal/persons/{huge}/leaves"),
        "negative person path": world.terminal.get("/terminal/persons/-1/lessons"),
        "huge lesson path": world.terminal.get(f"/terminal/lessons/{huge}/content"),
        "huge person in event": world.terminal.post_events(event("checkin", huge, match_score=1)),
        "huge lesson in event": world.terminal.post_events(
            event("lesson_progress", world.person_a, lesson_id=huge, watched_seconds=1)),
        "NUL in a text": world.terminal.post_events(nul),
        "too long key": world.terminal.post_events(long_key),
        "NaN score": world.terminal.http.post(
            world.server.base_url + "/api/v1/terminal/events", timeout=5,
            data=b'{"events": [{"idempotency_key": "nan-key-0001", "kind": "checkin", "person_id": 1,'
                 b' "occurred_at": "2025-01-01T00:00:00Z", "payload": {"match_score": NaN}}]}',
            headers={"Content-Type": "application/json"}),
        "empty batch": world.terminal.http.post(
            world.server.base_url + "/api/v1/terminal/events", json={"events": []}, timeout=5),
    }
    per_event = {"huge person in event", "huge lesson in event", "NUL in a text", "NaN score"}
    for label, answer in answers.items():
        if label in per_event:  # the batch is fine, the one event in it is rejected
            [(_key, status, code)] = _results(answer)
            assert status == "rejected" and code in (
                "person_not_found", "invalid_event_payload"), (label, code)
            continue
        assert 400 <= answer.status_code < 500, (label, answer.status_code, answer.text)
        assert set(answer.json()["error"]) == {"code", "message"}, label
    assert _count(world.server.database_url, Event) == 0
    assert world.admin.session.get(world.server.base_url + f"/console/checkins/{huge}/snapshot",
                                   timeout=5).status_code == 422


def test_the_same_batch_sent_concurrently_is_stored_once(world):
    """Racing requests: the loser of a key retries its batch and answers "duplicate"."""
    from concurrent.futures import ThreadPoolExecutor

    batch = [event("checkin", world.person_a, key=f"race-key-{i:04d}", match_score=0.9)
             for i in range(5)]
    batch.append(event("checkin", 999999, key="race-bad-0001", match_score=0.9))

    def send(_n):
        return world.terminal.clone().post_events(*batch)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    statuses = [_results(a) for a in answers]
    for i in range(5):
        assert sorted(s[i][1] for s in statuses) == ["duplicate"] * 3 + ["stored"]
    assert all(s[5] == ("race-bad-0001", "rejected", "person_not_found") for s in statuses)
    assert _count(world.server.database_url, Event) == 5
