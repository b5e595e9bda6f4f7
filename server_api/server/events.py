"""Storing terminal events: once per idempotency key, each kind into its own table.

A batch is processed in order inside one transaction by the caller, each event in its own
SAVEPOINT (``process_event``). An event that is refused (unknown person, bad payload,
leave not approved...) is rolled back alone, with the files it wrote, and answered
"rejected" with the stable code of the refusal; the rest of the batch is kept. A
rejected event is not recorded, so the same key sent again is evaluated again (a leave
return may succeed once the leave is approved). Payload shapes are those documented in
the contract and checked in ``payloads``; biometrics are replaced through ``biometrics``.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from server_api import contract
from server_api.leave_rules import LeavePeriod
from server_api.server.biometrics import VoiceEnrolment, is_removed, replace_voice, wav_seconds
from server_api.server.clock import as_utc
from server_api.server import lesson_credit
from server_api.server.errors import ApiError
from server_api.server.leave_policy import check_request
from server_api.server.models import (
    MAX_ID, REVIEW_OPEN, TEMPLATE_ENROLMENT, Checkin, Event, FaceTemplate, Leave,
    LessonProgress, Person, StaffCall, VerificationFailure,
)
from server_api.server.payloads import (
    CheckinPayload, FaceEnrolmentPayload, LeaveRequestPayload, LeaveReturnPayload,
    LessonCreditPayload, LessonProgressPayload, StaffCallPayload, VerificationFailurePayload, VoiceEnrolmentPayload,
    Payload,
)
from server_api.server.questionnaires import store_result as _store_questionnaire_result
from server_api.server.settings import CentralSettings
from server_api.server.storage import FileTxn
from server_api.server.terminal_auth import TerminalIdentity
from server_api.server.validation import has_control_characters

log = logging.getLogger(__name__)

# The only kinds a terminal may send without an identified person (person_id 0).
ANONYMOUS_KINDS = frozenset({contract.EventKind.staff_call,
                             contract.EventKind.verification_failure})
# The times an event may carry: a day inside the calendar's ends, so that any time zone
# can show them.
EARLIEST_TIME = dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
LATEST_TIME = dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)
# Kinds that bring biometrics: refused for a person staff removed.
BIOMETRIC_KINDS = frozenset({contract.EventKind.face_enrolment,
                             contract.EventKind.voice_enrolment})


@dataclass
class EventContext:
    """One batch's surroundings: the database session, the terminal, the files."""

    session: Session
    terminal: TerminalIdentity
    files: FileTxn
    settings: CentralSettings
    now: dt.datetime


def invalid_event(event: contract.Event, message: str) -> ApiError:
    return ApiError(422, "invalid_event_payload", f"event {event.idempotency_key}: {message}")


def parse_payload(model: type[Payload], event: contract.Event) -> Payload:
    try:
        return model.model_validate(event.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise invalid_event(event, f"{where}: {first.get('msg', 'invalid')}") from None


def decode_b64(event: contract.Event, text: str, max_bytes: int, what: str) -> bytes:
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise ApiError(413, "payload_too_large",
                       f"event {event.idempotency_key}: {what} larger than {max_bytes} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_event(event, f"{what} is not valid base64") from None
    if len(data) > max_bytes:
        raise ApiError(413, "payload_too_large",
                       f"event {event.idempotency_key}: {what} larger than {max_bytes} bytes")
    return data


def snapshot_jpeg(ctx: EventContext, event: contract.Event, text: str | None) -> bytes | None:
    """The snapshot of an event, decoded and checked to be a JPEG; None when there is none."""
    if not text:
        return None
    jpeg = decode_b64(event, text, ctx.settings.max_snapshot_bytes, "snapshot")
    if not jpeg.startswith(b"\xff\xd8\xff"):
        raise invalid_event(event, "snapshot is not a JPEG image")
    return jpeg


def write_snapshot(ctx: EventContext, event: contract.Event, event_id: int, jpeg: bytes | None,
                   folder: str) -> str | None:
    """Write a snapshot under ``folder/<centre>/<day>/<event id>.jpg``; its path or None."""
    if jpeg is None:
        return None
    day = as_utc(event.occurred_at).strftime("%Y/%m/%d")
    return ctx.files.write(f"{folder}/{ctx.terminal.centre_id}/{day}/{event_id}.jpg", jpeg)


def _store_snapshot(ctx: EventContext, event: contract.Event, row: Event, text: str | None,
                    folder: str) -> str | None:
    return write_snapshot(ctx, event, row.id, snapshot_jpeg(ctx, event, text), folder)


def _store_checkin(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(CheckinPayload, event)
    snapshot_path = _store_snapshot(ctx, event, row, payload.snapshot_jpeg_b64, "snapshots")
    ctx.session.add(Checkin(event_id=row.id, person_id=event.person_id,
                            terminal_id=ctx.terminal.id, occurred_at=row.occurred_at,
                            match_score=payload.match_score, snapshot_path=snapshot_path))


def _store_leave_request(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(LeaveRequestPayload, event)
    if ctx.session.scalar(select(Leave.id).where(Leave.key == event.idempotency_key)):
        raise ApiError(409, "leave_key_conflict",
                       f"event {event.idempotency_key}: a leave with this key already exists")
    period = LeavePeriod(payload.start_date, payload.end_date, payload.frequent)
    level = check_request(ctx.session, ctx.terminal.centre_id, ctx.terminal.id,
                          event.person_id, period, row.occurred_at,
                          ctx.settings.display_timezone)
    ctx.session.add(Leave(
        key=event.idempotency_key, person_id=event.person_id, terminal_id=ctx.terminal.id,
        destination=payload.destination.strip(), start_date=payload.start_date,
        end_date=payload.end_date, reason=payload.reason.strip(),
        status=contract.LeaveStatus.pending.value, requested_at=row.occurred_at,
        decision_note="", approval_level=level, frequent=payload.frequent))


def _store_leave_return(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(LeaveReturnPayload, event)
    leave = ctx.session.scalar(select(Leave).where(Leave.key == payload.leave_key,
                                                   Leave.person_id == event.person_id))
    if leave is None:
        raise ApiError(404, "leave_not_found", f"event {event.idempotency_key}: "
                       f"no leave {payload.leave_key} for this person")
    if leave.status != contract.LeaveStatus.approved.value:
        raise ApiError(409, "leave_not_approved", f"event {event.idempotency_key}: "
                       f"leave {payload.leave_key} is {leave.status}, "
                       "only an approved leave can be closed")
    leave.status = contract.LeaveStatus.closed.value
    leave.returned_at = row.occurred_at


def _store_lesson_progress(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(LessonProgressPayload, event)
    # Time earned stays earned: once a person has credit for a lesson, later credit is kept
    # even if staff withdrew the assignment since (the event may have waited offline).
    if not lesson_credit.is_assigned(ctx.session, payload.lesson_id, event.person_id) \
            and not lesson_credit.has_credit(ctx.session, payload.lesson_id, event.person_id):
        raise ApiError(404, "lesson_not_assigned", f"event {event.idempotency_key}: "
                       f"lesson {payload.lesson_id} is not assigned to this person")
    progress = ctx.session.scalar(select(LessonProgress).where(
        LessonProgress.lesson_id == payload.lesson_id,
        LessonProgress.person_id == event.person_id))
    if progress is None:
        progress = LessonProgress(lesson_id=payload.lesson_id, person_id=event.person_id,
                                  watched_seconds=0.0, position_seconds=0.0)
        ctx.session.add(progress)
    progress.watched_seconds = max(progress.watched_seconds, payload.watched_seconds)
    progress.position_seconds = payload.position_seconds
    progress.updated_at = ctx.now


def _store_lesson_credit(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(LessonCreditPayload, event)
    # Time earned stays earned: once a person has credit for a lesson, later credit is kept
    # even if staff withdrew the assignment since (the event may have waited offline).
    if not lesson_credit.is_assigned(ctx.session, payload.lesson_id, event.person_id) \
            and not lesson_credit.has_credit(ctx.session, payload.lesson_id, event.person_id):
        raise ApiError(404, "lesson_not_assigned", f"event {event.idempotency_key}: "
                       f"lesson {payload.lesson_id} is not assigned to this person")
    lesson_credit.store_credit(ctx.session, event.person_id, payload, ctx.now)


def _store_face_enrolment(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(FaceEnrolmentPayload, event)
    ctx.session.execute(delete(FaceTemplate).where(FaceTemplate.person_id == event.person_id))
    for template in payload.templates:
        ctx.session.add(FaceTemplate(person_id=event.person_id, encoding_json=json.dumps(template),
                                     created_at=row.occurred_at, source=TEMPLATE_ENROLMENT))


def _store_voice_enrolment(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(VoiceEnrolmentPayload, event)
    template = None
    if payload.template_b64 is not None:
        template = decode_b64(event, payload.template_b64,
                           ctx.settings.max_voice_template_bytes, "voice template")
        if not template:
            raise invalid_event(event, "voice template is empty")
    wavs, total = [], 0
    for text in payload.recordings:
        wav = decode_b64(event, text, ctx.settings.max_voice_bytes, "voice sample")
        if len(wav) < 44 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
            raise invalid_event(event, "voice sample is not a WAV file")
        total += len(wav)
        if total > ctx.settings.max_voice_bytes:
            raise ApiError(413, "payload_too_large", f"event {event.idempotency_key}: voice "
                           f"samples larger than {ctx.settings.max_voice_bytes} bytes in all")
        wavs.append((wav, payload.seconds or wav_seconds(wav) or 0.0))
    enrolment = VoiceEnrolment(person_id=event.person_id, event_id=row.id, at=row.occurred_at,
                               template=template, model=payload.model.strip(), wavs=wavs)
    if not replace_voice(ctx.session, ctx.files, enrolment):
        log.info("voice enrolment %r of person %s is older than the stored one; kept aside",
                 event.idempotency_key, event.person_id)


def _store_staff_call(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(StaffCallPayload, event)
    ctx.session.add(StaffCall(event_id=row.id, terminal_id=ctx.terminal.id,
                              person_id=row.person_id, screen=payload.screen.strip(),
                              occurred_at=row.occurred_at))


def _store_verification_failure(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(VerificationFailurePayload, event)
    snapshot_path = _store_snapshot(ctx, event, row, payload.snapshot_jpeg_b64, "verification")
    encoding = None if payload.face_encoding is None else json.dumps(payload.face_encoding)
    if row.person_id is not None and is_removed(ctx.session, row.person_id):
        encoding = None  # a removed person's biometrics are not kept
    challenges = None if payload.challenges is None else json.dumps(payload.challenges)
    ctx.session.add(VerificationFailure(
        event_id=row.id, terminal_id=ctx.terminal.id, person_id=row.person_id,
        reason=payload.reason, claimed=payload.claimed, face_distance=payload.face_distance,
        voice_score=payload.voice_score, attempt=payload.attempt, occurred_at=row.occurred_at,
        snapshot_path=snapshot_path, face_encoding_json=encoding, review_status=REVIEW_OPEN,
        review_note="", stage=payload.stage, liveness_reason=payload.liveness_reason,
        challenges_json=challenges, voice_reason=payload.voice_reason,
        voice_threshold=payload.voice_threshold, lipsync_decision=payload.lipsync_decision,
        lipsync_r=payload.lipsync_r, face_ratio=payload.face_ratio))


def _store_written_report(ctx: EventContext, event: contract.Event, row: Event) -> None:
    from server_api.server.report_events import store_written_report  # imports this module

    store_written_report(ctx, event, row)


HANDLERS: dict[contract.EventKind, Callable[[EventContext, contract.Event, Event], None]] = {
    contract.EventKind.checkin: _store_checkin,
    contract.EventKind.leave_request: _store_leave_request,
    contract.EventKind.leave_return: _store_leave_return,
    contract.EventKind.lesson_progress: _store_lesson_progress,
    contract.EventKind.face_enrolment: _store_face_enrolment,
    contract.EventKind.voice_enrolment: _store_voice_enrolment,
    contract.EventKind.staff_call: _store_staff_call,
    contract.EventKind.verification_failure: _store_verification_failure,
    contract.EventKind.written_report: _store_written_report,
    contract.EventKind.lesson_credit: _store_lesson_credit,
    contract.EventKind.questionnaire_result: _store_questionnaire_result,
}
# The other approvals keep their handler in their own module.
from server_api.server.approval_events import HANDLERS as _APPROVAL_HANDLERS  # noqa: E402
HANDLERS.update(_APPROVAL_HANDLERS)


def occurred_at_utc(event: contract.Event) -> dt.datetime:
    """The event's time in UTC, or the refusal of a time no calendar can hold.

    Converting e.g. 9999-12-31T23:59-23:59 to UTC overflows; a time within a day of
    the calendar's ends could not be shown in a centre's local time either.
    """
    try:
        occurred_at = as_utc(event.occurred_at)
    except OverflowError:
        occurred_at = None
    if occurred_at is None or not EARLIEST_TIME <= occurred_at <= LATEST_TIME:
        raise invalid_event(event, "occurred_at is out of range")
    return occurred_at


def store_event(ctx: EventContext, event: contract.Event) -> str:
    """Store one event unless its key was seen from this terminal: "stored" or "duplicate".

    Raises ``ApiError`` when the event is refused; the caller rolls back what it wrote.
    """
    if has_control_characters(event.idempotency_key):
        raise invalid_event(event, "idempotency_key contains control characters")
    seen = ctx.session.scalar(select(Event.id).where(
        Event.terminal_id == ctx.terminal.id, Event.idempotency_key == event.idempotency_key))
    if seen is not None:
        return "duplicate"
    person_id: int | None = event.person_id
    if event.person_id == 0 and event.kind in ANONYMOUS_KINDS:
        person_id = None  # nobody identified at the terminal
    else:
        person = ctx.session.get(Person, event.person_id) if 0 < event.person_id <= MAX_ID else None
        if person is None or person.centre_id != ctx.terminal.centre_id:
            raise ApiError(404, "person_not_found",
                           f"event {event.idempotency_key}: person {event.person_id} not found")
        if event.kind in BIOMETRIC_KINDS and is_removed(ctx.session, person.id):
            raise ApiError(409, "person_removed", f"event {event.idempotency_key}: person "
                           f"{event.person_id} was removed; no biometrics are kept")
    row = Event(terminal_id=ctx.terminal.id, idempotency_key=event.idempotency_key,
                kind=event.kind.value, person_id=person_id,
                occurred_at=occurred_at_utc(event), received_at=ctx.now)
    ctx.session.add(row)
    ctx.session.flush()  # the row id names stored files; the key is now taken in this batch
    HANDLERS[event.kind](ctx, event, row)
    ctx.session.flush()
    return "stored"


def process_event(ctx: EventContext, event: contract.Event) -> contract.EventResult:
    """One event of a batch in its own SAVEPOINT: "stored", "duplicate" or "rejected".

    A refusal (an ``ApiError`` with a 4xx status, or a value the database refuses) rolls
    back this event alone, database rows and new files. Anything else, notably an
    ``IntegrityError`` from a concurrent request storing the same key, propagates: the
    caller rolls back the whole batch and may retry it.
    """
    try:
        with ctx.files.nested(), ctx.session.begin_nested():
            status = store_event(ctx, event)
    except ApiError as exc:
        if not 400 <= exc.status < 500:
            raise
        code, message = exc.code, exc.message
    except DataError:
        # e.g. a text PostgreSQL cannot store: the same refusal as for a whole request.
        code = "invalid_data"
        message = (f"event {event.idempotency_key}: a value was refused by the database "
                   "(invalid characters or too long)")
    else:
        return contract.EventResult(idempotency_key=event.idempotency_key, status=status)
    return rejected(ctx, event, code, message)


def rejected(ctx: EventContext, event: contract.Event, code: str,
             message: str) -> contract.EventResult:
    """The answer for a refused event, logged by identifiers only (payloads may hold
    biometrics or personal data)."""
    log.warning("rejected event from terminal %s: key=%r kind=%s code=%s",
                ctx.terminal.public_id, event.idempotency_key, event.kind.value, code)
    return contract.EventResult(idempotency_key=event.idempotency_key, status="rejected",
                                code=code, message=message)
