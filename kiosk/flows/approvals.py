"""The other approvals (Community Correction Law art. 23, 27): 执行地变更, 会客, 迁居,
经常性跨市县活动, 病情复查延期. Filed here, one field per screen, decided by staff
centrally; the status comes back to the "我的申请" screen.

A request is written with its outbox row in one transaction, so an acknowledged request
reaches the centre however long the terminal stays offline.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from kiosk import outbox
from kiosk.clock import Clock, naive_utc
from kiosk.errors import FlowError
from kiosk.i18n import translate
from kiosk.store import Store
from kiosk.store.approval_models import ApprovalRequest
from kiosk.store.models import Outbox
from server_api.client import CentralClient, CentralError
from server_api.contract import (
    APPROVAL_FREQUENT_TRAVEL_MAX_DAYS, APPROVAL_PLACE_CHANGE_LEAD_DAYS, ApprovalType, CaseType,
    EventKind,
)

# The fields each type asks, in the order of its screens (the date is always asked).
STEPS: dict[str, tuple[str, ...]] = {
    ApprovalType.place_change.value: ("place", "start", "reason"),
    ApprovalType.visitor.value: ("counterpart", "start", "reason"),
    ApprovalType.move.value: ("start", "reason"),
    ApprovalType.frequent_travel.value: ("place", "start", "end", "reason"),
    ApprovalType.medical_extension.value: ("start", "reason"),
}
TYPES = tuple(STEPS)
# Reasons offered per type (labels in the catalogues, ``approval.reason.<type>.<n>``).
REASON_COUNT = {"place_change": 5, "visitor": 4, "move": 5, "frequent_travel": 5,
                "medical_extension": 4}
COUNTERPART_KEYS = tuple(f"approval.counterpart.{n}" for n in range(1, 6))
# Only a person serving 暂予监外执行 has medical reviews to extend (art. 23).
MEDICAL_CASE_TYPE = CaseType.zanyu.value


def reason_keys(kind: str) -> tuple[str, ...]:
    return tuple(f"approval.reason.{kind}.{n}" for n in range(1, REASON_COUNT.get(kind, 0) + 1))


def types_for(case_type: str) -> tuple[str, ...]:
    """The types this person may file."""
    return tuple(t for t in TYPES
                 if t != ApprovalType.medical_extension.value or case_type == MEDICAL_CASE_TYPE)


def earliest_start(kind: str, today: dt.date) -> dt.date:
    """A change of execution place is filed a month ahead (DOMAIN.md); the rest from today."""
    if kind == ApprovalType.place_change.value:
        return today + dt.timedelta(days=APPROVAL_PLACE_CHANGE_LEAD_DAYS)
    return today


def latest_end(start: dt.date) -> dt.date:
    """The last day of a standing frequent-travel approval starting on ``start``."""
    return start + dt.timedelta(days=APPROVAL_FREQUENT_TRAVEL_MAX_DAYS - 1)


@dataclass(frozen=True)
class Draft:
    """What the person chose, screen by screen (keys for reason and counterpart)."""

    type: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    place: str = ""
    counterpart_key: str = ""
    reason_key: str = ""


@dataclass(frozen=True)
class ApprovalView:
    key: str
    type: str
    start_date: dt.date
    end_date: dt.date | None
    place: str
    counterpart: str
    reason: str
    status: str  # queued | pending | approved | rejected
    decision_note: str


def validate(draft: Draft, case_type: str, today: dt.date) -> None:
    kind = draft.type
    if kind not in types_for(case_type):
        raise FlowError("approval.error.not_applicable" if kind in TYPES
                        else "approval.error.type_required")
    steps = STEPS[kind]
    if "place" in steps and not draft.place.strip():
        raise FlowError("approval.error.place_required")
    if "counterpart" in steps and draft.counterpart_key not in COUNTERPART_KEYS:
        raise FlowError("approval.error.counterpart_required")
    if draft.reason_key not in reason_keys(kind):
        raise FlowError("approval.error.reason_required")
    if draft.start_date is None:
        raise FlowError("approval.error.date_required")
    if draft.start_date < today:
        raise FlowError("approval.error.start_in_past")
    if draft.start_date < earliest_start(kind, today):
        raise FlowError("approval.error.too_late", days=APPROVAL_PLACE_CHANGE_LEAD_DAYS)
    if "end" in steps:
        if draft.end_date is None or draft.end_date < draft.start_date:
            raise FlowError("approval.error.end_before_start")
        if draft.end_date > latest_end(draft.start_date):
            raise FlowError("approval.error.too_long", days=APPROVAL_FREQUENT_TRAVEL_MAX_DAYS)


def submit(store: Store, clock: Clock, person_id: int, case_type: str, draft: Draft) -> str:
    """Validate and record the request with its outbox row; returns its key."""
    validate(draft, case_type, clock.today())
    steps = STEPS[draft.type]
    # The record keeps Chinese words (staff read them), whatever language the screen shows.
    place = draft.place.strip() if "place" in steps else ""
    counterpart = translate(draft.counterpart_key) if "counterpart" in steps else ""
    reason = translate(draft.reason_key)
    end = draft.end_date if "end" in steps else None
    key = outbox.new_key()
    now = clock.now()
    with store.session() as s:
        s.add(ApprovalRequest(key=key, person_id=person_id, type=draft.type,
                              start_date=draft.start_date, end_date=end, place=place,
                              counterpart=counterpart, reason=reason,
                              created_at=naive_utc(now), status="queued", decision_note=""))
        outbox.enqueue(s, key=key, kind=EventKind.approval_request.value, person_id=person_id,
                       occurred_at=now, payload={
                           "type": draft.type, "start_date": draft.start_date.isoformat(),
                           "end_date": end.isoformat() if end else None, "place": place,
                           "counterpart": counterpart, "reason": reason})
    return key


def refresh(store: Store, client: CentralClient | None, clock: Clock, person_id: int) -> bool:
    """Take the centre's statuses into the local copy; False when offline."""
    if client is None:
        return False
    try:
        remote = client.approvals(person_id).approvals
    except CentralError:
        return False
    with store.session() as s:
        for info in remote:
            row = s.get(ApprovalRequest, info.key)
            if row is None:  # filed at another terminal of the centre
                row = ApprovalRequest(key=info.key, person_id=person_id, type=info.type.value,
                                      start_date=info.start_date, end_date=info.end_date,
                                      place=info.place, counterpart=info.counterpart,
                                      reason=info.reason, created_at=naive_utc(info.requested_at))
                s.add(row)
            row.status = info.status.value
            row.decision_note = info.decision_note or ""
    return True


def list_for(store: Store, person_id: int) -> list[ApprovalView]:
    """Newest first. A request the centre refused to store (its outbox row settled as
    "rejected:<code>", see ``kiosk.sync``) shows as "refused": the person asks staff."""
    with store.session() as s:
        rows = s.execute(select(ApprovalRequest, Outbox.last_error)
                         .outerjoin(Outbox, Outbox.key == ApprovalRequest.key)
                         .where(ApprovalRequest.person_id == person_id)
                         .order_by(ApprovalRequest.created_at.desc())).all()
        return [ApprovalView(r.key, r.type, r.start_date, r.end_date, r.place, r.counterpart,
                             r.reason, _status(r.status, error), r.decision_note)
                for r, error in rows]


def _status(status: str, outbox_error: str | None) -> str:
    if status == "queued" and (outbox_error or "").startswith("rejected:"):
        return "refused"
    return status
