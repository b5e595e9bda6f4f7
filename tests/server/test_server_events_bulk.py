"""Runs of check-ins take the bulk path: the same answers, rows and files as event by event."""
from __future__ import annotations

from sqlalchemy.exc import DataError

from server_api.server import events_bulk
from server_api.server.models import Checkin, Event

from tests.server.central_helpers import TerminalClient, b64, enrol, event, jpeg_bytes
from tests.server.test_server_events import _count, _results


def _mixed_run(world) -> list[dict]:
    """Check-ins of every outcome, in one run (no other kind between them)."""
    photo = b64(jpeg_bytes())
    return [
        event("checkin", world.person_a, key="bulk-ok-0001", match_score=0.91,
              snapshot_jpeg_b64=photo),
        event("checkin", world.person_a, key="bulk-ok-0002", match_score=0.8),
        event("checkin", world.person_a, key="bulk-ok-0001", match_score=0.91),  # repeat
        event("checkin", world.person_b, key="bulk-other-01", match_score=0.9),  # centre B
        event("checkin", 0, key="bulk-nobody-1", match_score=0.9),
        event("checkin", world.person_a, key="bulk-b64-0001", match_score=0.9,
              snapshot_jpeg_b64="%%%"),
        event("checkin", world.person_a, key="bulk-gif-0001", match_score=0.9,
              snapshot_jpeg_b64=b64(b"GIF89a....")),
        event("checkin", world.person_a, key="bulk-\x07bell-1", match_score=0.9),
        event("checkin", world.person_a, key="bulk-score-01", match_score="high"),
        {**event("checkin", world.person_a, key="bulk-time-001", match_score=0.9),
         "occurred_at": "0001-01-01T00:00:00+00:00"},
        event("checkin", world.person_a, key="bulk-ok-0003", match_score=0.7,
              snapshot_jpeg_b64=photo),
    ]


def _second_terminal(world) -> TerminalClient:
    answer = enrol(world.server.base_url, world.admin.create_token(world.centre_a), "自助终端2")
    return answer.terminal()


def test_a_run_of_checkins_is_answered_exactly_as_event_by_event(world, monkeypatch):
    run = _mixed_run(world)
    bulk = _results(world.terminal.post_events(*run))
    other = _second_terminal(world)
    monkeypatch.setattr(events_bulk, "MIN_RUN", 10**6)  # the per-event path only
    one_by_one = _results(other.post_events(*run))
    assert bulk == one_by_one
    assert [status for _key, status, _code in bulk] == [
        "stored", "stored", "duplicate", "rejected", "rejected", "rejected", "rejected",
        "rejected", "rejected", "rejected", "stored"]
    assert [code for *_rest, code in bulk][3:10] == [
        "person_not_found", "person_not_found", "invalid_event_payload",
        "invalid_event_payload", "invalid_event_payload", "invalid_event_payload",
        "invalid_event_payload"]
    assert _count(world.server.database_url, Checkin) == 6  # 3 per terminal
    snapshots = list((world.server.data_dir / "snapshots").rglob("*.jpg"))
    assert len(snapshots) == 4 and all(p.read_bytes() == jpeg_bytes() for p in snapshots)
    listed = world.admin.checkins()
    assert sorted(c["score"] for c in listed) == [0.7, 0.7, 0.8, 0.8, 0.91, 0.91]

    monkeypatch.setattr(events_bulk, "MIN_RUN", 3)
    again = _results(world.terminal.post_events(*run))
    assert [s for _k, s, _c in again if s != "rejected"] == ["duplicate"] * 4


def test_a_run_the_database_refuses_is_stored_event_by_event(world, monkeypatch):
    """Whatever the database refuses in a run rolls the run back (rows and files); the
    per-event path then decides each event, and nothing is stored twice."""
    real_write = events_bulk.write_snapshot
    calls = []

    def refusing_write(ctx, ev, event_id, jpeg, folder):
        calls.append(ev.idempotency_key)
        path = real_write(ctx, ev, event_id, jpeg, folder)
        if len(calls) == 2:
            raise DataError("INSERT INTO checkins ...", {}, ValueError("refused"))
        return path

    monkeypatch.setattr(events_bulk, "write_snapshot", refusing_write)
    photo = b64(jpeg_bytes())
    run = [event("checkin", world.person_a, key=f"fallback-{i:04d}", match_score=0.9,
                 snapshot_jpeg_b64=photo) for i in range(4)]
    assert _results(world.terminal.post_events(*run)) == [
        (f"fallback-{i:04d}", "stored", "") for i in range(4)]
    assert len(calls) == 2  # the bulk attempt stopped at the refused write
    assert _count(world.server.database_url, Event) == 4
    assert _count(world.server.database_url, Checkin) == 4
    assert len(list((world.server.data_dir / "snapshots").rglob("*.jpg"))) == 4
