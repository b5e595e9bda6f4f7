"""Questionnaires on the server: the published definitions, and storing a result event.

Definitions are the files of ``content/questionnaires`` (one per id and version); the
server publishes them as they are and scores each result with the version the terminal
answered, so a later version never changes a stored result.
"""
from __future__ import annotations

import json

from pydantic import Field
from sqlalchemy import select

from content.questionnaires.engine import Library, score
from server_api import contract
from server_api.server.errors import ApiError
from server_api.server.models import MAX_ID, Event
from server_api.server.payloads import Payload
from server_api.server.questionnaire_models import QuestionnaireAssignment, QuestionnaireResult

MAX_ANSWERS = 100


_library: Library | None = None


def library() -> Library:
    """Every published definition (read once per process; files never change once out)."""
    global _library
    if _library is None:
        _library = Library()
    return _library


def use_library(replacement: Library | None) -> None:
    """Publish another set of definitions (verified content delivery, tests); None goes
    back to the definitions shipped with the package."""
    global _library
    _library = replacement


class QuestionnaireResultPayload(Payload):
    assignment_id: int = Field(ge=1, le=MAX_ID)
    questionnaire_id: str = Field(min_length=1, max_length=40)
    version: int = Field(ge=1, le=999_999)
    answers: list[int] = Field(min_length=1, max_length=MAX_ANSWERS)


def open_assignments(session, person_id: int) -> list[QuestionnaireAssignment]:
    return list(session.scalars(
        select(QuestionnaireAssignment)
        .where(QuestionnaireAssignment.person_id == person_id,
               QuestionnaireAssignment.completed_at.is_(None))
        .order_by(QuestionnaireAssignment.assigned_at, QuestionnaireAssignment.id)))


def store_result(ctx, event: contract.Event, row: Event) -> None:
    """Score the answers with the assignment's definition version and keep the result."""
    from server_api.server.events import invalid_event, parse_payload

    payload = parse_payload(QuestionnaireResultPayload, event)
    key = event.idempotency_key
    assignment = ctx.session.get(QuestionnaireAssignment, payload.assignment_id)
    if assignment is None or assignment.person_id != event.person_id:
        raise ApiError(404, "questionnaire_not_assigned", f"event {key}: assignment "
                       f"{payload.assignment_id} is not this person's")
    if (assignment.questionnaire_id, assignment.version) != (payload.questionnaire_id,
                                                             payload.version):
        raise ApiError(409, "questionnaire_version_mismatch", f"event {key}: assignment "
                       f"{assignment.id} is {assignment.questionnaire_id} v{assignment.version}")
    if assignment.completed_at is not None:
        raise ApiError(409, "questionnaire_already_answered",
                       f"event {key}: assignment {assignment.id} was already answered")
    published = library().get(payload.questionnaire_id, payload.version)
    if published is None:
        raise ApiError(404, "questionnaire_unknown", f"event {key}: no definition "
                       f"{payload.questionnaire_id} v{payload.version}")
    try:
        result = score(published.definition, payload.answers)
    except ValueError as exc:
        raise invalid_event(event, str(exc)) from None
    ctx.session.add(QuestionnaireResult(
        event_id=row.id, assignment_id=assignment.id, person_id=event.person_id,
        terminal_id=ctx.terminal.id, questionnaire_id=result.questionnaire_id,
        version=result.version, answers_json=json.dumps(payload.answers), total=result.total,
        band=result.band, critical=bool(result.critical),
        critical_json=json.dumps(list(result.critical)), occurred_at=row.occurred_at))
    assignment.completed_at = row.occurred_at
