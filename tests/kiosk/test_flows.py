"""The kiosk's flows on a real SQLite store, without a server: what a person would notice."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.flows import checkin, enrolment, leave, lessons
from kiosk.store import open_store
from kiosk.store.models import Checkin, LeaveRequest, Outbox, Person


class FixedClock(Clock):
    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "kiosk.db")
    with s.session() as ses:
        ses.add(Person(id=7, name="张小三", id_number="110101199003070011", case_type="缓刑"))
    yield s
    s.close()


@pytest.fixture
def clock():
    return FixedClock(dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc))


def test_store_uses_wal_and_full_sync(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_checkin_writes_record_and_outbox_together(store, clock):
    receipt = checkin.check_in(store, clock, 7, 0.71, b"\xff\xd8jpeg")
    with store.session() as s:
        row = s.get(Checkin, receipt.key)
        raw = s.scalars(select(Outbox)).one()
    (box,) = outbox.pending(store)
    assert row.person_id == 7 and b"jpeg" not in row.snapshot_jpeg  # sealed at rest
    assert store.sealer.open(row.snapshot_jpeg, f"snapshot:{receipt.key}") == b"\xff\xd8jpeg"
    assert box.key == receipt.key and box.kind == "checkin" and raw.delivered_at is None
    assert box.payload["match_score"] == 0.71
    assert b"match_score" not in raw.payload_sealed
    assert receipt.record_no.startswith("20261122-")


def test_outbox_keeps_order(store, clock):
    keys = [checkin.check_in(store, clock, 7, 0.5, None).key for _ in range(5)]
    assert [r.key for r in outbox.pending(store)] == keys
    outbox.mark_delivered(store, keys[:2], clock.now())
    assert [r.key for r in outbox.pending(store)] == keys[2:]
    assert outbox.depth(store) == 3


@pytest.mark.parametrize("dest,start,end,reason,key", [
    ("", 3, 4, "leave.reason.family", "leave.error.destination_required"),
    ("北京市", 3, 4, "nonsense", "leave.error.reason_required"),
    ("北京市", -1, 2, "leave.reason.family", "leave.error.start_in_past"),
    ("北京市", 4, 3, "leave.reason.family", "leave.error.end_before_start"),
    # leave_max_days (Art 27), 30 days by default
    ("北京市", 3, 33, "leave.reason.family", "leave_rules.broken.max_days"),
    # leave_apply_days_ahead (Art 27), 3 days by default
    ("北京市", 2, 3, "leave.reason.family", "leave_rules.broken.apply_ahead"),
])
def test_bad_leave_is_refused_and_nothing_written(store, clock, dest, start, end, reason, key):
    today = clock.today()
    with pytest.raises(FlowError) as err:
        leave.submit(store, clock, 7, dest, today + dt.timedelta(days=start),
                     today + dt.timedelta(days=end), reason)
    assert err.value.message_key == key
    with store.session() as s:
        assert s.scalars(select(LeaveRequest)).all() == []
        assert s.scalars(select(Outbox)).all() == []


def test_leave_of_thirty_days_is_accepted(store, clock):
    today = clock.today()
    key = leave.submit(store, clock, 7, "上海市", today + dt.timedelta(days=3),
                       today + dt.timedelta(days=32), "leave.reason.medical")
    views = leave.list_for(store, 7)
    assert [v.key for v in views] == [key] and views[0].status == "queued"


def test_return_only_for_approved_leave(store, clock):
    today = clock.today()
    day = today + dt.timedelta(days=3)
    key = leave.submit(store, clock, 7, "上海市", day, day, "leave.reason.work")
    with pytest.raises(FlowError) as err:
        leave.report_return(store, clock, 7, key)
    assert err.value.message_key == "leave.error.not_approved"
    with store.session() as s:
        s.get(LeaveRequest, key).status = "approved"
    leave.report_return(store, clock, 7, key)
    assert leave.list_for(store, 7)[0].status == "closed"
    kinds = [r.kind for r in outbox.pending(store)]
    assert kinds == ["leave_request", "leave_return"]


def test_lesson_progress_keeps_the_most_watched(store, clock):
    assert lessons.record_progress(store, clock, 7, 3, 40.0, 40.0) == 40.0
    assert lessons.record_progress(store, clock, 7, 3, 10.0, 10.0) == 40.0
    assert lessons.record_progress(store, clock, 7, 3, 55.0, 55.0) == 55.0


def test_face_enrolment_needs_two_templates(store, clock):
    with pytest.raises(FlowError):
        enrolment.enrol_face(store, clock, 7, [np.zeros(128)])
    assert enrolment.enrol_face(store, clock, 7, [np.zeros(128), np.ones(128)]) == 2
    assert outbox.has_pending(store, "face_enrolment", 7)


def test_voice_enrolment_needs_three_utterances_and_is_sealed(store, clock):
    with pytest.raises(FlowError) as err:
        enrolment.enrol_voice(store, clock, 7, b"npz", "m", [b"RIFF", b"RIFF"])
    assert err.value.message_key == "voice.enrol_more"
    assert outbox.depth(store) == 0
    enrolment.enrol_voice(store, clock, 7, b"template-bytes", "model-1", [b"RIFF"] * 3)
    assert outbox.has_pending(store, "voice_enrolment", 7)
    from kiosk.roster import voice_template_bytes
    from kiosk.store.models import VoiceTemplate

    assert voice_template_bytes(store, 7) == b"template-bytes"
    with store.session() as s:
        assert b"template-bytes" not in s.get(VoiceTemplate, 7).blob  # sealed at rest


def test_a_damaged_lesson_file_is_refused_and_removed(store, tmp_path):
    from kiosk.store.models import CachedLesson

    sha = "ab" * 32
    with store.session() as s:
        s.add(CachedLesson(person_id=7, lesson_id=1, title="课", sha256=sha, size=10))
    damaged = tmp_path / "content" / f"{sha}.video"
    damaged.parent.mkdir()
    damaged.write_bytes(b"not a video at all")
    with pytest.raises(FlowError) as err:
        lessons.prepare(store, None, tmp_path / "content", 7, 1)
    assert err.value.message_key == "lesson.error.corrupt"
    assert not damaged.exists()
    with pytest.raises(FlowError) as err:  # not downloaded, centre unreachable
        lessons.prepare(store, None, tmp_path / "content", 7, 1)
    assert err.value.message_key == "lesson.error.offline"
