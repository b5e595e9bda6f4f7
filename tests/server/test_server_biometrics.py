"""Biometrics on the server: voice templates into the roster, centre isolation, removal.

The voice template is an opaque blob to the server (the kiosk's ``VoiceTemplate``
bytes): it must come back byte for byte, only to terminals of the person's centre, and
disappear with the person's other biometrics when staff remove them.
"""
from __future__ import annotations

import base64
import io
import json
from contextlib import contextmanager

import numpy as np
import pytest
from sqlalchemy import select

from server_api.server.db import Database
from server_api.server.models import (
    AuditEntry, Checkin, FaceTemplate, PersonRemoval, VerificationFailure, VoiceSample,
    VoiceTemplate,
)

from tests.server.central_helpers import TerminalClient, b64, enrol, event, jpeg_bytes, wav_bytes
from tests.staff_console import ConsoleError, StaffConsole, make_id_number

MODEL = "resemblyzer-ge2e/1"


def voice_blob(seed: int, utterances: int = 3) -> bytes:
    """A voice template as the kiosk serialises it (numpy .npz)."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    np.savez(buffer, embedding=rng.normal(size=256).astype(np.float32),
             utterances=rng.normal(size=(utterances, 256)).astype(np.float32),
             speech_seconds=np.float32(4.5), version=np.array(MODEL))
    return buffer.getvalue()


def voice_event(person_id: int, blob: bytes, seconds: tuple[float, ...] = (0.5, 0.6, 0.7),
                **fields) -> dict:
    return event("voice_enrolment", person_id, template_b64=b64(blob), model=MODEL,
                 wavs_b64=[b64(wav_bytes(s)) for s in seconds], **fields)


@contextmanager
def db_session(url: str):
    db = Database(url)
    try:
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def compact(value) -> str:
    """JSON as the server writes it (no spaces)."""
    return json.dumps(value, separators=(",", ":"))


def face(seed: float) -> list[float]:
    return [round(seed + i / 1000, 6) for i in range(128)]


def statuses(answer) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["code"]) for r in answer.json()["results"]]


def roster(terminal: TerminalClient) -> dict[int, dict]:
    answer = terminal.get("/terminal/roster")
    assert answer.status_code == 200, answer.text
    return {p["id"]: p for p in answer.json()["persons"]}


def terminal_of(world, centre_id: int, name: str) -> TerminalClient:
    answer = enrol(world.server.base_url, world.admin.create_token(centre_id), name).json()
    return TerminalClient(world.server.base_url, answer["terminal_id"], answer["secret"],
                          answer["centre_id"])


def test_a_voice_template_round_trips_into_the_roster(world):
    first, second, older = voice_blob(1), voice_blob(2), voice_blob(3, utterances=5)
    assert statuses(world.terminal.post_events(
        dict(voice_event(world.person_a, first), occurred_at="2025-06-01T09:00:00+00:00"))) == [
        ("stored", "")]
    person = roster(world.terminal)[world.person_a]
    assert (person["has_voice"], person["voice_model"]) == (True, MODEL)
    assert base64.b64decode(person["voice_template"]) == first
    with np.load(io.BytesIO(base64.b64decode(person["voice_template"]))) as z:
        assert z["utterances"].shape == (3, 256)
    voice_dir = world.server.data_dir / "voice" / str(world.person_a)
    assert sorted(p.read_bytes() for p in voice_dir.iterdir()) == sorted(
        wav_bytes(s) for s in (0.5, 0.6, 0.7))
    row = next(p for p in world.admin.persons() if p["id"] == str(world.person_a))
    assert row["voice"] == "yes"

    # A newer enrolment replaces template and recordings; an older one delivered late
    # is stored but changes nothing.
    newer = dict(voice_event(world.person_a, second, seconds=(1.0, 1.1, 1.2, 1.3)),
                 occurred_at="2025-07-01T09:00:00+00:00")
    late = dict(voice_event(world.person_a, older), occurred_at="2025-06-15T09:00:00+00:00")
    assert statuses(world.terminal.post_events(newer, late)) == [("stored", "")] * 2
    assert statuses(world.terminal.post_events(newer)) == [("duplicate", "")]
    assert base64.b64decode(roster(world.terminal)[world.person_a]["voice_template"]) == second
    assert sorted(p.read_bytes() for p in voice_dir.iterdir()) == sorted(
        wav_bytes(s) for s in (1.0, 1.1, 1.2, 1.3))
    with db_session(world.server.database_url) as session:
        samples = session.scalars(select(VoiceSample).order_by(VoiceSample.id)).all()
        assert [round(s.seconds, 2) for s in samples] == [1.0, 1.1, 1.2, 1.3]
        assert len(session.scalars(select(VoiceTemplate)).all()) == 1

    big = bytes(256 * 1024 + 1)
    bad = [
        (event("voice_enrolment", world.person_a, template_b64=b64(first), model=MODEL),
         "invalid_event_payload"),  # no recordings
        (event("voice_enrolment", world.person_a, model=MODEL, wavs_b64=[b64(wav_bytes())]),
         "invalid_event_payload"),  # recordings without a template
        (voice_event(world.person_a, first, wav_b64=b64(wav_bytes())), "invalid_event_payload"),
        (voice_event(world.person_a, big), "payload_too_large"),
        (dict(voice_event(world.person_a, first), payload=dict(
            voice_event(world.person_a, first)["payload"], template_b64="%%%")),
         "invalid_event_payload"),
        (dict(voice_event(world.person_a, first), payload=dict(
            voice_event(world.person_a, first)["payload"], wavs_b64=[b64(b"RIFF....AVI ")])),
         "invalid_event_payload"),
        (dict(voice_event(world.person_a, first), payload=dict(
            voice_event(world.person_a, first)["payload"], model="m" * 101)),
         "invalid_event_payload"),
        (voice_event(world.person_b, first), "person_not_found"),
    ]
    for bad_event, code in bad:
        assert statuses(world.terminal.post_events(bad_event)) == [("rejected", code)], code
    assert base64.b64decode(roster(world.terminal)[world.person_a]["voice_template"]) == second
    assert len(list(voice_dir.iterdir())) == 4


def test_a_terminal_never_receives_another_centres_persons_or_templates(world):
    terminal_b = terminal_of(world, world.centre_b, "河西一号机")
    person_a2 = world.admin.create_person(world.centre_a, "王五", make_id_number(3), "管制")
    person_b2 = world.admin.create_person(world.centre_b, "赵六", make_id_number(4), "缓刑")
    blobs = {pid: voice_blob(pid + 10) for pid in (world.person_a, person_a2,
                                                   world.person_b, person_b2)}
    faces = {pid: [face(pid + 0.25)] for pid in blobs}
    for terminal, pids in ((world.terminal, (world.person_a, person_a2)),
                           (terminal_b, (world.person_b, person_b2))):
        batch = [e for pid in pids for e in (
            event("face_enrolment", pid, templates=faces[pid]), voice_event(pid, blobs[pid]))]
        assert statuses(terminal.post_events(*batch)) == [("stored", "")] * 4
    # Nothing of centre B can be sent through a terminal of centre A, and back.
    assert statuses(world.terminal.post_events(
        event("face_enrolment", world.person_b, templates=[face(9)]),
        voice_event(person_b2, voice_blob(99)))) == [("rejected", "person_not_found")] * 2
    # A sample confirmed in centre B reaches centre B's terminals only.
    sample = face(7.5)
    assert statuses(terminal_b.post_events(event(
        "verification_failure", world.person_b, reason="face_mismatch", attempt=1,
        face_encoding=sample))) == [("stored", "")]
    [failure] = world.admin.verifications()
    world.admin.review_verification(failure["id"], genuine=True, add_reference=True)

    answers = {world.centre_a: world.terminal.get("/terminal/roster"),
               world.centre_b: terminal_b.get("/terminal/roster")}
    own = {world.centre_a: {world.person_a, person_a2}, world.centre_b: {world.person_b, person_b2}}
    for centre, answer in answers.items():
        persons = {p["id"]: p for p in answer.json()["persons"]}
        assert answer.json()["centre_id"] == centre and set(persons) == own[centre]
        for pid, person in persons.items():
            expected = faces[pid] + ([sample] if pid == world.person_b else [])
            assert person["face_templates"] == expected
            assert base64.b64decode(person["voice_template"]) == blobs[pid]
        others = set(blobs) - own[centre]
        text = answer.text
        assert not any(b64(blobs[pid]) in text for pid in others)
        assert not any(compact(faces[pid][0]) in text for pid in others)
        assert (compact(sample) in text) == (centre == world.centre_b)
        assert all(compact(faces[pid][0]) in text for pid in own[centre])
        assert "李四" not in text if centre == world.centre_a else "张三" not in text


def test_removing_a_person_erases_biometrics_and_keeps_the_records(world):
    photo = b64(jpeg_bytes())
    sample = face(0.9)
    assert statuses(world.terminal.post_events(
        event("face_enrolment", world.person_a, templates=[face(0.1), face(0.2)]),
        voice_event(world.person_a, voice_blob(5)),
        event("checkin", world.person_a, key="checkin-keep-01", match_score=0.93,
              snapshot_jpeg_b64=photo),
        event("verification_failure", world.person_a, reason="face_mismatch", attempt=1,
              face_encoding=sample, snapshot_jpeg_b64=photo),
        event("verification_failure", world.person_a, reason="poor_quality", attempt=2,
              face_encoding=face(0.95)))) == [("stored", "")] * 5
    confirmed, still_open = sorted(v["id"] for v in world.admin.verifications())
    world.admin.review_verification(confirmed, genuine=True, add_reference=True)
    assert len(roster(world.terminal)[world.person_a]["face_templates"]) == 3
    voice_dir = world.server.data_dir / "voice" / str(world.person_a)
    assert len(list(voice_dir.iterdir())) == 3

    world.admin.create_staff("staff_b", "password-123456", "staff", world.centre_b)
    staff_b = StaffConsole(world.server.base_url)
    staff_b.login("staff_b", "password-123456")
    with pytest.raises(ConsoleError) as hidden:
        staff_b.remove_person(world.person_a)
    assert hidden.value.status == 404
    for data, message in (({"reason": "解除矫正"}, "请勾选确认"),
                          ({"reason": " ", "confirm": "yes"}, "请填写移除原因")):
        with pytest.raises(ConsoleError) as refused:
            world.admin.post(f"/console/persons/{world.person_a}/remove", data)
        assert refused.value.status == 400 and message in refused.value.message
    forged = world.admin.session.post(
        world.server.base_url + f"/console/persons/{world.person_a}/remove",
        data={"reason": "伪造", "confirm": "yes"}, timeout=5)
    assert forged.status_code == 403
    assert world.person_a in roster(world.terminal)

    world.admin.remove_person(world.person_a, "矫正期满，解除矫正")
    assert roster(world.terminal) == {}
    assert not voice_dir.exists() or list(voice_dir.iterdir()) == []
    with pytest.raises(ConsoleError) as twice:
        world.admin.remove_person(world.person_a)
    assert twice.value.status == 409
    row = next(p for p in world.admin.persons() if p["id"] == str(world.person_a))
    assert (row["removed"], row["faces"], row["voice"]) == ("yes", "0", "no")
    assert "张三" in world.admin.get("/console/checkins").text  # the record stays

    # Biometrics of a removed person are refused; facts are still recorded.
    assert statuses(world.terminal.post_events(
        event("face_enrolment", world.person_a, templates=[face(0.3)]),
        voice_event(world.person_a, voice_blob(6)),
        event("checkin", world.person_a, match_score=0.9),
        event("verification_failure", world.person_a, reason="face_mismatch", attempt=1,
              face_encoding=face(0.4)))) == [
        ("rejected", "person_removed"), ("rejected", "person_removed"), ("stored", ""),
        ("stored", "")]
    open_rows = [v for v in world.admin.verifications() if v["status"] == "open"]
    assert len(open_rows) == 2 and not any(v["can_add_reference"] for v in open_rows)
    with pytest.raises(ConsoleError) as refused:
        world.admin.review_verification(still_open, genuine=True, add_reference=True)
    assert refused.value.status == 400

    with db_session(world.server.database_url) as session:
        assert session.scalars(select(FaceTemplate)).all() == []
        assert session.scalars(select(VoiceTemplate)).all() == []
        assert session.scalars(select(VoiceSample)).all() == []
        assert all(f.face_encoding_json is None
                   for f in session.scalars(select(VerificationFailure)))
        checkins = session.scalars(select(Checkin).order_by(Checkin.id)).all()
        assert len(checkins) == 2 and checkins[0].snapshot_path
        snapshots = [f.snapshot_path for f in session.scalars(select(VerificationFailure))
                     if f.snapshot_path]
        removal = session.scalar(select(PersonRemoval))
        assert (removal.person_id, removal.reason) == (world.person_a, "矫正期满，解除矫正")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "person_remove"))
    assert (world.server.data_dir / checkins[0].snapshot_path).read_bytes() == jpeg_bytes()
    assert len(snapshots) == 1 and (world.server.data_dir / snapshots[0]).is_file()
    assert (entry.target, entry.detail) == (
        f"person:{world.person_a}",
        "faces=3 voice_template=1 voice_samples=3 failure_samples=2")
    # Centre B's person is untouched.
    assert world.person_b in {int(p["id"]) for p in world.admin.persons()
                              if p["removed"] == "no"}
