"""Storing ``approval_request`` events (执行地变更, 会客, 迁居, 经常性跨市县, 病情复查延期).

``events`` merges ``HANDLERS`` into its own table; a refusal raises ``ApiError`` and the
event alone is rolled back and answered "rejected" (see ``events.process_event``).
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from sqlalchemy import select

from server_api import contract
from server_api.server.approval_models import Approval
from server_api.server.clock import as_utc
from server_api.server.errors import ApiError
from server_api.server.models import Person
from server_api.server.payloads import Payload

if TYPE_CHECKING:
    from server_api.server.events import EventContext
    from server_api.server.models import Event

ApprovalType = contract.ApprovalType
# Which of the optional fields each type requires (the kiosk asks exactly these).
NEEDS_PLACE = frozenset({ApprovalType.place_change, ApprovalType.frequent_travel})
NEEDS_COUNTERPART = frozenset({ApprovalType.visitor})
NEEDS_END = frozenset({ApprovalType.frequent_travel})
# Only a person serving 暂予监外执行 has medical reviews to extend.
MEDICAL_CASE_TYPE = contract.CaseType.zanyu.value


class ApprovalRequestPayload(Payload):
    type: ApprovalType
    start_date: dt.date
    end_date: dt.date | None = None
    place: str = Field(default="", max_length=200)
    counterpart: str = Field(default="", max_length=200)
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _fields_of_the_type(self):
        if not self.reason.strip():
            raise ValueError("reason must not be blank")
        if self.type in NEEDS_PLACE and not self.place.strip():
            raise ValueError(f"place is required for {self.type.value}")
        if self.type in NEEDS_COUNTERPART and not self.counterpart.strip():
            raise ValueError(f"counterpart is required for {self.type.value}")
        if self.type in NEEDS_END:
            if self.end_date is None:
                raise ValueError(f"end_date is required for {self.type.value}")
            if self.end_date < self.start_date:
                raise ValueError("end_date is before start_date")
            days = (self.end_date - self.start_date).days + 1
            if days > contract.APPROVAL_FREQUENT_TRAVEL_MAX_DAYS:
                raise ValueError(f"a standing approval lasts at most "
                                 f"{contract.APPROVAL_FREQUENT_TRAVEL_MAX_DAYS} days")
        elif self.end_date is not None:
            raise ValueError(f"end_date is not used for {self.type.value}")
        return self


def _store_approval_request(ctx: "EventContext", event: contract.Event, row: "Event") -> None:
    from server_api.server.events import invalid_event, parse_payload

    payload = parse_payload(ApprovalRequestPayload, event)
    # The day the request was filed, in the centre's zone (as the kiosk counts it).
    filed_on = as_utc(row.occurred_at).astimezone(ZoneInfo(ctx.settings.display_timezone)).date()
    if payload.start_date < filed_on:
        raise invalid_event(event, "start_date is before the day the request was filed")
    lead = (payload.start_date - filed_on).days
    if (payload.type is ApprovalType.place_change
            and lead < contract.APPROVAL_PLACE_CHANGE_LEAD_DAYS):
        raise ApiError(422, "approval_too_late", f"event {event.idempotency_key}: a change of "
                       f"execution place is filed at least "
                       f"{contract.APPROVAL_PLACE_CHANGE_LEAD_DAYS} days ahead")
    if payload.type is ApprovalType.medical_extension:
        person = ctx.session.get(Person, event.person_id)
        if person is None or person.case_type != MEDICAL_CASE_TYPE:
            raise ApiError(422, "approval_not_applicable", f"event {event.idempotency_key}: "
                           "a medical review extension is for 暂予监外执行 only")
    if ctx.session.scalar(select(Approval.id).where(Approval.key == event.idempotency_key)):
        raise ApiError(409, "approval_key_conflict",
                       f"event {event.idempotency_key}: an approval with this key exists")
    ctx.session.add(Approval(
        key=event.idempotency_key, person_id=event.person_id, terminal_id=ctx.terminal.id,
        type=payload.type.value, start_date=payload.start_date, end_date=payload.end_date,
        place=payload.place.strip(), counterpart=payload.counterpart.strip(),
        reason=payload.reason.strip(), status=contract.ApprovalStatus.pending.value,
        requested_at=row.occurred_at, decision_note=""))


HANDLERS = {contract.EventKind.approval_request: _store_approval_request}
