"""A batch of terminal events, with runs of check-ins stored a few statements at a time.

Check-ins are most of the traffic (a centre's terminals send thousands a day, a fleet
after an outage sends them in batches of up to 200). Stored one by one, each costs a
SAVEPOINT and four statements. A run of consecutive check-ins is instead checked in
Python (the same checks, in the same order, with the same answers as
``events.store_event``), then its events and check-ins are inserted with one statement
each, inside one SAVEPOINT. Should the database refuse anything in the run (a value it
cannot store, a key a concurrent request stored first), the run is rolled back and
stored event by event by ``events.process_event``, which decides as it always did.
Other kinds keep the per-event path, in batch order.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError

from server_api import contract
from server_api.server.errors import ApiError
from server_api.server.events import (
    EventContext, invalid_event, occurred_at_utc, parse_payload, process_event, rejected,
    snapshot_jpeg, write_snapshot,
)
from server_api.server.models import MAX_ID, Checkin, Event, Person
from server_api.server.payloads import CheckinPayload
from server_api.server.validation import has_control_characters

CHECKIN = contract.EventKind.checkin
# A shorter run is not worth the extra statements of the bulk path.
MIN_RUN = 3


@dataclass
class _Accepted:
    index: int
    event: contract.Event
    occurred_at: object
    payload: CheckinPayload
    jpeg: bytes | None


def process_batch(ctx: EventContext, events: list[contract.Event]) -> list[contract.EventResult]:
    """Every event of the batch in order: "stored", "duplicate" or "rejected"."""
    results: list[contract.EventResult] = []
    i = 0
    while i < len(events):
        j = i
        while j < len(events) and events[j].kind is CHECKIN:
            j += 1
        if j - i >= MIN_RUN:
            results.extend(_checkin_run(ctx, events[i:j]))
            i = j
        else:
            results.append(process_event(ctx, events[i]))
            i += 1
    return results


def _checkin_run(ctx: EventContext, run: list[contract.Event]) -> list[contract.EventResult]:
    try:
        with ctx.files.nested(), ctx.session.begin_nested():
            return _store_run(ctx, run)
    except (IntegrityError, DataError):
        return [process_event(ctx, event) for event in run]


def _store_run(ctx: EventContext, run: list[contract.Event]) -> list[contract.EventResult]:
    session, terminal = ctx.session, ctx.terminal
    keys = [e.idempotency_key for e in run]
    seen = set(session.scalars(select(Event.idempotency_key).where(
        Event.terminal_id == terminal.id, Event.idempotency_key.in_(keys))))
    wanted = {e.person_id for e in run if 0 < e.person_id <= MAX_ID}
    centre_of = dict(session.execute(
        select(Person.id, Person.centre_id).where(Person.id.in_(wanted))).all()) if wanted else {}
    results: list[contract.EventResult | None] = [None] * len(run)
    accepted: list[_Accepted] = []
    for index, event in enumerate(run):
        try:
            if has_control_characters(event.idempotency_key):
                raise invalid_event(event, "idempotency_key contains control characters")
            if event.idempotency_key in seen:
                results[index] = contract.EventResult(idempotency_key=event.idempotency_key,
                                                      status="duplicate")
                continue
            if centre_of.get(event.person_id) != terminal.centre_id:
                raise ApiError(404, "person_not_found", f"event {event.idempotency_key}: "
                               f"person {event.person_id} not found")
            occurred_at = occurred_at_utc(event)
            payload = parse_payload(CheckinPayload, event)
            jpeg = snapshot_jpeg(ctx, event, payload.snapshot_jpeg_b64)
        except ApiError as exc:
            if not 400 <= exc.status < 500:
                raise
            results[index] = rejected(ctx, event, exc.code, exc.message)
            continue
        seen.add(event.idempotency_key)
        accepted.append(_Accepted(index, event, occurred_at, payload, jpeg))
    if accepted:
        ids = session.scalars(
            insert(Event).returning(Event.id, sort_by_parameter_order=True),
            [{"terminal_id": terminal.id, "idempotency_key": a.event.idempotency_key,
              "kind": CHECKIN.value, "person_id": a.event.person_id,
              "occurred_at": a.occurred_at, "received_at": ctx.now} for a in accepted]).all()
        # RETURNING makes SQLAlchemy send one multi-row INSERT ("insertmanyvalues"); a
        # plain executemany is a round trip per row on psycopg.
        session.scalars(insert(Checkin).returning(Checkin.id), [
            {"event_id": event_id, "person_id": a.event.person_id, "terminal_id": terminal.id,
             "occurred_at": a.occurred_at, "match_score": a.payload.match_score,
             "snapshot_path": write_snapshot(ctx, a.event, event_id, a.jpeg, "snapshots")}
            for a, event_id in zip(accepted, ids)]).all()
        for a in accepted:
            results[a.index] = contract.EventResult(idempotency_key=a.event.idempotency_key,
                                                    status="stored")
    return results  # type: ignore[return-value]
