"""Terminal API of the other approvals: the person's requests with staff decisions."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select

from server_api import contract
from server_api.server.approval_models import Approval
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import error_responses
from server_api.server.terminal_api import PERSON_NOT_FOUND, PersonId, _person_of_terminal
from server_api.server.terminal_auth import TerminalIdentity, authenticated_terminal

router = APIRouter(prefix=contract.API_PREFIX, tags=["terminal"])


@router.get("/terminal/persons/{person_id}/approvals", response_model=contract.ApprovalList,
            responses=error_responses(401, 404, 422, s404=PERSON_NOT_FOUND))
def person_approvals(person_id: PersonId,
                     terminal: TerminalIdentity = Depends(authenticated_terminal),
                     ctx: ServerContext = Depends(get_context)) -> contract.ApprovalList:
    """The person's other approval requests (执行地变更, 会客...), newest first."""
    with ctx.db.session() as session:
        _person_of_terminal(session, terminal, person_id)
        rows = session.scalars(select(Approval).where(Approval.person_id == person_id)
                               .order_by(Approval.requested_at.desc(), Approval.id.desc()))
        return contract.ApprovalList(approvals=[contract.ApprovalInfo(
            key=a.key, type=a.type, start_date=a.start_date, end_date=a.end_date,
            place=a.place, counterpart=a.counterpart, reason=a.reason, status=a.status,
            requested_at=a.requested_at, decided_at=a.decided_at,
            decision_note=a.decision_note) for a in rows])
