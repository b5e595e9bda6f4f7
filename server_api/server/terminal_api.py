"""The terminal API (``/api/v1``), exactly as described in ``server_api.contract``.

A terminal only ever sees persons of its own centre: anything else answers 404, as if it
did not exist.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from server_api import contract
from server_api.server.biometrics import active_persons
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import ApiError, error_responses
from server_api.server.events import EventContext
from server_api.server.events_bulk import process_batch
from server_api.server import lesson_credit
from server_api.server.models import (
    MAX_ID, Centre, Leave, Person,
)
from server_api.server.plans import roster_extras
from server_api.server.storage import FileTxn
from server_api.server.terminal_auth import (
    TerminalIdentity, authenticated_terminal, enrol_terminal,
)

# The error answers of each operation, declared in the OpenAPI document (the contract's
# ErrorResponse); tests/server/test_api_contract.py checks the document against the app.
BODY_ERRORS = (400, 413, 415, 422)  # of every operation taking a JSON body
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]
LessonId = Annotated[int, Path(ge=1, le=MAX_ID)]
RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")
# Two requests racing on the same idempotency key: the loser retries and sees a duplicate.
BATCH_ATTEMPTS = 3
PERSON_NOT_FOUND = "No such person in the terminal's centre (`person_not_found`)"

router = APIRouter(prefix=contract.API_PREFIX, tags=["terminal"])


@router.post("/terminals/enrol", response_model=contract.EnrolResponse,
             responses=error_responses(
                 401, 409, *BODY_ERRORS,
                 s401="The token is unknown, used or expired (`enrol_token_invalid`)",
                 s409="Refused as a conflict (e.g. a public key already enrolled)"))
def enrol(request: contract.EnrolRequest,
          ctx: ServerContext = Depends(get_context)) -> contract.EnrolResponse:
    """Enrol a terminal with a one-time token created by staff; returns its credentials."""
    with ctx.db.session() as session:
        return enrol_terminal(session, request, ctx.clock())


@router.get("/terminal/roster", response_model=contract.RosterResponse,
            responses=error_responses(401))
def roster(terminal: TerminalIdentity = Depends(authenticated_terminal),
           ctx: ServerContext = Depends(get_context)) -> contract.RosterResponse:
    """The persons of the terminal's centre (not removed) with their face and voice
    templates; nothing of another centre ever leaves in this answer."""
    with ctx.db.session() as session:
        centre = session.get(Centre, terminal.centre_id)
        persons = session.scalars(
            select(Person).where(Person.centre_id == terminal.centre_id, active_persons())
            .order_by(Person.id)
            .options(selectinload(Person.face_templates), selectinload(Person.voice_template)))
        persons = list(persons)
        extras = roster_extras(session, [p.id for p in persons])
        return contract.RosterResponse(centre_id=centre.id, centre_name=centre.name, persons=[
            _roster_person(p, extras[p.id]) for p in persons])


def _roster_person(p: Person, extras: dict) -> contract.RosterPerson:
    voice = p.voice_template
    return contract.RosterPerson(
        # A minor's full name never reaches a terminal (Arts 52, 54): the surname only.
        id=p.id, name=p.name[:1] + "*" if p.is_minor else p.name, id_number=p.id_number,
        case_type=p.case_type,
        reporting_obligation=p.reporting_obligation, **extras,
        face_templates=[json.loads(t.encoding_json) for t in p.face_templates],
        has_voice=voice is not None,
        voice_template=base64.b64encode(voice.blob).decode("ascii") if voice else None,
        voice_model=voice.model if voice else "")


@router.post("/terminal/events", response_model=contract.EventBatchResponse,
             responses=error_responses(401, 409, *BODY_ERRORS))
def post_events(batch: contract.EventBatch,
                terminal: TerminalIdentity = Depends(authenticated_terminal),
                ctx: ServerContext = Depends(get_context)) -> contract.EventBatchResponse:
    """Store a batch in order, in one transaction, each event (or run of consecutive
    check-ins) in its own SAVEPOINT.

    Each event is answered "stored", "duplicate" (a key already stored from this
    terminal) or "rejected" with the stable code of the refusal; a rejected event is
    rolled back alone and the rest of the batch is kept, so one bad event never blocks a
    terminal's outbox. Should a concurrent request store one of the keys first, the
    whole batch is rolled back and run again (the key then answers "duplicate").
    A leave request that breaks a leave rule of the terminal's configuration is
    rejected with ``leave_rule_<rule>``, e.g. ``leave_rule_max_days`` (docs/LEAVE_RULES.md).
    """
    for attempt in range(BATCH_ATTEMPTS):
        files = FileTxn(ctx.storage)
        try:
            with ctx.db.session(write=True) as session:
                event_ctx = EventContext(session, terminal, files, ctx.settings, ctx.clock())
                results = process_batch(event_ctx, batch.events)
        except IntegrityError:
            files.rolled_back()
            if attempt + 1 == BATCH_ATTEMPTS:
                raise ApiError(409, "conflict", "the batch conflicts with concurrent writes; "
                                                "send it again") from None
            continue
        except BaseException:
            files.rolled_back()
            raise
        files.committed()
        return contract.EventBatchResponse(results=results)
    raise AssertionError("unreachable")


def _person_of_terminal(session, terminal: TerminalIdentity, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.centre_id != terminal.centre_id:
        raise ApiError(404, "person_not_found", f"person {person_id} not found")
    return person


@router.get("/terminal/persons/{person_id}/leaves", response_model=contract.LeaveList,
            responses=error_responses(401, 404, 422, s404=PERSON_NOT_FOUND))
def person_leaves(person_id: PersonId,
                  terminal: TerminalIdentity = Depends(authenticated_terminal),
                  ctx: ServerContext = Depends(get_context)) -> contract.LeaveList:
    """The person's leave requests, newest first, with staff decisions."""
    with ctx.db.session() as session:
        _person_of_terminal(session, terminal, person_id)
        leaves = session.scalars(select(Leave).where(Leave.person_id == person_id)
                                 .order_by(Leave.requested_at.desc(), Leave.id.desc()))
        return contract.LeaveList(leaves=[contract.LeaveInfo(
            key=l.key, destination=l.destination, start_date=l.start_date, end_date=l.end_date,
            reason=l.reason, status=l.status, decided_at=l.decided_at,
            decision_note=l.decision_note, returned_at=l.returned_at) for l in leaves])


@router.get("/terminal/persons/{person_id}/lessons", response_model=contract.LessonList,
            responses=error_responses(401, 404, 422, s404=PERSON_NOT_FOUND))
def person_lessons(person_id: PersonId,
                   terminal: TerminalIdentity = Depends(authenticated_terminal),
                   ctx: ServerContext = Depends(get_context)) -> contract.LessonList:
    """Lessons assigned to the person (own or group), with the learning time, the
    furthest point reached and the quiz (docs/LESSON_CREDIT.md)."""
    with ctx.db.session() as session:
        person = _person_of_terminal(session, terminal, person_id)
        return contract.LessonList(lessons=lesson_credit.lessons_for(session, person))


def _check_range(header: str | None, size: int) -> None:
    """Refuse, in the JSON error shape, a Range this endpoint cannot honour."""
    if header is None:
        return
    match = RANGE_RE.match(header.strip())
    if not match:
        raise ApiError(400, "range_invalid", "only 'Range: bytes=N-' or 'bytes=N-M' is supported")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else None
    if start >= size or (end is not None and end < start):
        raise ApiError(416, "range_not_satisfiable", f"the content has {size} bytes",
                       headers={"Content-Range": f"bytes */{size}"})


@router.get("/terminal/lessons/{lesson_id}/content", response_class=FileResponse,
            responses={200: {"description": "The whole video (its media type as uploaded)",
                             "content": {"video/*": {}}},
                       206: {"description": "The requested part of the video",
                             "content": {"video/*": {}}},
                       **error_responses(
                           400, 401, 404, 416, 422,
                           s400="A Range header other than 'bytes=N-' or 'bytes=N-M' "
                                "(`range_invalid`)",
                           s404="No such lesson for this centre (`lesson_not_found`), or "
                                "its file is missing (`lesson_content_missing`)")})
def lesson_content(lesson_id: LessonId,
                   range_header: str | None = Header(None, alias="Range"),
                   terminal: TerminalIdentity = Depends(authenticated_terminal),
                   ctx: ServerContext = Depends(get_context)) -> FileResponse:
    """The lesson video, if assigned to someone of the terminal's centre (honours Range)."""
    with ctx.db.session() as session:
        lesson = lesson_credit.lesson_in_centre(session, lesson_id, terminal.centre_id)
    if lesson is None:
        raise ApiError(404, "lesson_not_found", f"lesson {lesson_id} not found")
    path = ctx.storage.resolve(lesson.path)
    if not path.is_file():
        raise ApiError(404, "lesson_content_missing",
                       f"the content of lesson {lesson_id} is missing")
    _check_range(range_header, lesson.size)
    return FileResponse(path, media_type=lesson.media_type,
                        headers={"ETag": f'"{lesson.sha256}"', "Cache-Control": "private"})
