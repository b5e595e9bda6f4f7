"""The questionnaire part of the API contract (心理测评), version 1.

- ``GET /api/v1/terminal/persons/{person_id}/questionnaires``: the person's open
  assignments (``QuestionnaireAssignmentList``), each naming a definition by id and
  version, with the sha256 of its file.
- ``GET /api/v1/terminal/questionnaires/{questionnaire_id}/{version}``: the definition
  file, byte for byte as published (``application/json``; ETag is its sha256).
- The answers travel as a ``questionnaire_result`` event (``contract.EventKind``):
  ``{"assignment_id", "questionnaire_id", "version", "answers": [values]}``. Refusals:
  ``questionnaire_not_assigned`` (404), ``questionnaire_unknown`` (404),
  ``questionnaire_version_mismatch`` (409), ``questionnaire_already_answered`` (409),
  ``invalid_event_payload`` (422: an answer missing or not one of the choices).
A score never travels to the terminal.
"""
from __future__ import annotations

from pydantic import BaseModel, Field


class QuestionnaireTitle(BaseModel):
    zh_CN: str
    en: str = ""


class QuestionnaireAssignmentInfo(BaseModel):
    assignment_id: int
    questionnaire_id: str
    version: int
    title: QuestionnaireTitle
    sha256: str  # of the definition file


class QuestionnaireAssignmentList(BaseModel):
    assignments: list[QuestionnaireAssignmentInfo] = Field(default_factory=list)
