"""The terminal's questionnaire API: a person's open assignments, and definition files.

A terminal sees only persons of its own centre (404 otherwise). Definitions are
published content, not personal data: any enrolled terminal may fetch any of them.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from server_api import contract
from server_api.contract import (
    QuestionnaireAssignmentInfo, QuestionnaireAssignmentList, QuestionnaireTitle,
)
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import ApiError, error_responses
from server_api.server.models import MAX_ID, Person
from server_api.server.questionnaires import library, open_assignments
from server_api.server.terminal_auth import TerminalIdentity, authenticated_terminal

# The definition file's media type: JSON in the engine's own shape (content/questionnaires).
DEFINITION_MEDIA_TYPE = "application/vnd.correction-kiosk.questionnaire+json"
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]
QuestionnaireId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Version = Annotated[int, Path(ge=1, le=999_999)]

router = APIRouter(prefix=contract.API_PREFIX, tags=["terminal"])


@router.get("/terminal/persons/{person_id}/questionnaires",
            response_model=QuestionnaireAssignmentList,
            responses=error_responses(401, 404, 422, s404="No such person in the terminal's "
                                                          "centre (`person_not_found`)"))
def person_questionnaires(person_id: PersonId,
                          terminal: TerminalIdentity = Depends(authenticated_terminal),
                          ctx: ServerContext = Depends(get_context)) -> QuestionnaireAssignmentList:
    """Questionnaires assigned to the person and not yet answered, oldest first."""
    with ctx.db.session() as session:
        person = session.get(Person, person_id)
        if person is None or person.centre_id != terminal.centre_id:
            raise ApiError(404, "person_not_found", f"person {person_id} not found")
        items = []
        for a in open_assignments(session, person_id):
            published = library().get(a.questionnaire_id, a.version)
            if published is None:  # a definition withdrawn from this server: not offered
                continue
            title = published.definition.title
            items.append(QuestionnaireAssignmentInfo(
                assignment_id=a.id, questionnaire_id=a.questionnaire_id, version=a.version,
                title=QuestionnaireTitle(zh_CN=title.zh_CN, en=title.en),
                sha256=published.sha256))
        return QuestionnaireAssignmentList(assignments=items)


@router.get("/terminal/questionnaires/{questionnaire_id}/{version}",
            response_class=Response,
            responses={200: {"description": "The definition file as published",
                             "content": {DEFINITION_MEDIA_TYPE: {}}},
                       **error_responses(401, 404, 422, s404="No such definition "
                                                             "(`questionnaire_unknown`)")})
def questionnaire_definition(questionnaire_id: QuestionnaireId, version: Version,
                             terminal: TerminalIdentity = Depends(authenticated_terminal)
                             ) -> Response:
    """One published definition (id and version), byte for byte; ETag is its sha256."""
    published = library().get(questionnaire_id, version)
    if published is None:
        raise ApiError(404, "questionnaire_unknown",
                       f"no questionnaire {questionnaire_id} v{version}")
    return Response(published.data, media_type=DEFINITION_MEDIA_TYPE,
                    headers={"ETag": f'"{published.sha256}"', "Cache-Control": "private"})
