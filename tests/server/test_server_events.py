"""Roster scoping and event delivery: once per key, in order, all or nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from server_api import contract
from server_api.server.db import Database
from server_api.server.models import Checkin, Event, FaceTemplate, Leave, VoiceSample

from tests.server.central_helpers import b64, event, jpeg_bytes, wav_bytes


def _count(database_url: str, model) -> int:
    db = Database(database_url)
    try:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(model))
    finally:
        db.dispose()


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
    refused = world.terminal.post_events(event("checkin", world.person_b, match_score=0.9))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "person_not_found"
    assert _count(world.server.database_url, Event) == 0


def test_the_same_key_twice_is_stored_once_and_order_is_kept(world):
    first = event("checkin", world.person_a, key="checkin-0001", match_score=0.91,
                  snapshot_jpeg_b64=b64(jpeg_bytes()))
    second = event("checkin", world.person_a, key="checkin-0002", match_score=0.87)
    answer = world.terminal.post_events(first, second, first)
    assert answer.status_code == 200
    assert answer.json() == {"results": [
        {"idempotency_key": "checkin-0001", "status": "stored"},
        {"idempotency_key": "checkin-0002", "status": "stored"},
        {"idempotency_key": "checkin-0001", "status": "duplicate"}]}

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


def test_a_bad_event_rejects_the_whole_batch(world):
    good = event("checkin", world.person_a, match_score=0.9, snapshot_jpeg_b64=b64(jpeg_bytes()))
    cases = [
        (event("checkin", world.person_a, match_score="high"), 422, "invalid_event_payload"),
        (event("checkin", world.person_a, match_score=0.9, snapshot_jpeg_b64="%%%"), 422,
         "invalid_event_payload"),
        (event("checkin", world.person_a, match_score=0.9, snapshot_jpeg_b64=b64(b"GIF89a....")),
         422, "invalid_event_payload"),
        (event("leave_request", world.person_a, destination="北京", start_date="2025-05-03",
               end_date="2025-05-01", reason="探亲"), 422, "invalid_event_payload"),
        (event("face_enrolment", world.person_a, templates=[[0.1] * 127]), 422,
         "invalid_event_payload"),
        (event("voice_enrolment", world.person_a, wav_b64=b64(b"not a wav file at all, sorry"),
               seconds=1.0), 422, "invalid_event_payload"),
        (event("lesson_progress", world.person_a, lesson_id=12345, watched_seconds=5), 404,
         "lesson_not_assigned"),
        (event("leave_return", world.person_a, leave_key="no-such-leave"), 404, "leave_not_found"),
    ]
    for bad, status, code in cases:
        answer = world.terminal.post_events(good, bad)
        assert answer.status_code == status, bad
        error = answer.json()["error"]
        assert error["code"] == code and bad["idempotency_key"] in error["message"]
    unknown_kind = world.terminal.post_events(dict(good, kind="teleport"))
    assert unknown_kind.status_code == 422
    assert unknown_kind.json()["error"]["code"] == "validation_error"
    short_key = world.terminal.post_events(dict(good, idempotency_key="short"))
    assert short_key.status_code == 422

    assert _count(world.server.database_url, Event) == 0
    assert _count(world.server.database_url, Checkin) == 0
    assert not list((world.server.data_dir / "snapshots").rglob("*.jpg"))
    # The good event alone goes through afterwards: nothing of it was half-kept.
    assert world.terminal.post_events(good).json()["results"][0]["status"] == "stored"


def test_face_and_voice_enrolment_show_in_roster_and_console(world):
    templates = [[i / 1000 for i in range(128)], [0.5] * 128]
    answer = world.terminal.post_events(
        event("face_enrolment", world.person_a, templates=[[0.0] * 128]),
        event("face_enrolment", world.person_a, templates=templates),
        event("voice_enrolment", world.person_a, wav_b64=b64(wav_bytes()), seconds=0.5))
    assert answer.status_code == 200
    person = world.terminal.get("/terminal/roster").json()["persons"][0]
    assert person["face_templates"] == templates  # the second enrolment replaced the first
    assert person["has_voice"] is True
    assert _count(world.server.database_url, FaceTemplate) == 2

    world.terminal.post_events(
        event("voice_enrolment", world.person_a, wav_b64=b64(wav_bytes(0.7)), seconds=0.7))
    assert _count(world.server.database_url, VoiceSample) == 1
    voices = list((world.server.data_dir / "voice").rglob("*.wav"))
    assert [v.read_bytes() for v in voices] == [wav_bytes(0.7)]

    row = next(p for p in world.admin.persons() if p["id"] == str(world.person_a))
    assert (row["faces"], row["voice"]) == ("2", "yes")


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
    for label, answer in answers.items():
        assert 400 <= answer.status_code < 500, (label, answer.status_code, answer.text)
        assert set(answer.json()["error"]) == {"code", "message"}, label
    assert _count(world.server.database_url, Event) == 0
    assert world.admin.session.get(world.server.base_url + f"/console/checkins/{huge}/snapshot",
                                   timeout=5).status_code == 422
