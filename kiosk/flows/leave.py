"""请假 and 销假: leave requests filed at the kiosk, decided by staff, closed on return."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from kiosk import outbox
from kiosk.clock import Clock, naive_utc
from kiosk.errors import FlowError
from kiosk.store import Store
from kiosk.i18n import translate
from kiosk.store.models import LeaveRequest, Outbox
from server_api.client import CentralClient, CentralError
from server_api import leave_rules
from server_api.contract import EventKind, TerminalConfig

# Reason keys offered on the touch pad; their labels live in the catalogues.
REASON_KEYS = ("leave.reason.medical", "leave.reason.family", "leave.reason.work",
               "leave.reason.affairs", "leave.reason.other")
# Local statuses that count against the caps (all but a refusal).
COUNTED = ("queued", "pending", "approved", "closed")


@dataclass(frozen=True)
class LeaveView:
    key: str
    destination: str
    start_date: dt.date
    end_date: dt.date
    reason_key: str
    status: str  # queued | pending | approved | rejected | closed
    decision_note: str

    @property
    def can_return(self) -> bool:
        return self.status == "approved"


def validate(destination: str, start: dt.date, end: dt.date, reason_key: str, today: dt.date,
             config: TerminalConfig | None = None,
             others: list[leave_rules.LeavePeriod] = ()) -> None:
    """Refuse, before anything is filed, a request with a gap or one that breaks a leave
    rule of the configuration in force (``server_api.leave_rules``; the server checks the
    same rules again). The error names the rule in plain words."""
    if not destination or not destination.strip():
        raise FlowError("leave.error.destination_required")
    if reason_key not in REASON_KEYS:
        raise FlowError("leave.error.reason_required")
    if start < today:
        raise FlowError("leave.error.start_in_past")
    if end < start:
        raise FlowError("leave.error.end_before_start")
    broken = leave_rules.check(leave_rules.LeavePeriod(start, end), today, others,
                               config or TerminalConfig())
    if broken is not None:
        raise FlowError(broken.message_key, **broken.params)


def held_leaves(store: Store, person_id: int) -> list[leave_rules.LeavePeriod]:
    """The person's leaves this terminal knows of that count against the caps."""
    with store.session() as s:
        rows = s.execute(select(LeaveRequest.start_date, LeaveRequest.end_date).where(
            LeaveRequest.person_id == person_id, LeaveRequest.status.in_(COUNTED))).all()
    return [leave_rules.LeavePeriod(start, end) for start, end in rows]


def submit(store: Store, clock: Clock, person_id: int, destination: str, start: dt.date,
           end: dt.date, reason_key: str, config: TerminalConfig | None = None) -> str:
    validate(destination, start, end, reason_key, clock.today(), config,
             held_leaves(store, person_id))
    key = outbox.new_key()
    now = clock.now()
    with store.session() as s:
        s.add(LeaveRequest(key=key, person_id=person_id, destination=destination.strip(),
                           start_date=start, end_date=end, reason=reason_key,
                           created_at=naive_utc(now), status="queued"))
        outbox.enqueue(s, key=key, kind=EventKind.leave_request.value, person_id=person_id,
                       occurred_at=now, payload={"destination": destination.strip(),
                                                 "start_date": start.isoformat(),
                                                 "end_date": end.isoformat(),
                                                 "reason": reason_key})
    return key


def refresh(store: Store, client: CentralClient | None, clock: Clock, person_id: int) -> bool:
    """Take the centre's statuses into the local cache; False when offline."""
    if client is None:
        return False
    try:
        remote = client.leaves(person_id).leaves
    except CentralError:
        return False
    with store.session() as s:
        for info in remote:
            row = s.get(LeaveRequest, info.key)
            if row is None:
                row = LeaveRequest(key=info.key, person_id=person_id, destination=info.destination,
                                   start_date=info.start_date, end_date=info.end_date,
                                   reason=info.reason, created_at=naive_utc(clock.now()))
                s.add(row)
            # A return recorded here but not yet delivered stays closed locally.
            if row.status == "closed" and info.status.value == "approved":
                continue
            row.status = info.status.value
            row.decision_note = info.decision_note or ""
        _settle_refused(s, person_id, {info.key for info in remote})
    return True


def _settle_refused(s, person_id: int, remote_keys: set[str]) -> None:
    """A request the centre refused under a leave rule (the configuration changed while
    it waited here) is shown as not approved, with the reason, instead of "to be sent"."""
    refused = s.scalars(select(Outbox.key).where(
        Outbox.person_id == person_id, Outbox.kind == EventKind.leave_request.value,
        Outbox.delivered_at.is_not(None), Outbox.last_error.like("rejected:leave_rule_%")))
    for key in refused:
        row = s.get(LeaveRequest, key)
        if row is not None and row.status == "queued" and key not in remote_keys:
            row.status = "rejected"
            row.decision_note = translate("leave_rules.refused_by_centre")


def list_for(store: Store, person_id: int) -> list[LeaveView]:
    with store.session() as s:
        rows = s.scalars(select(LeaveRequest).where(LeaveRequest.person_id == person_id)
                         .order_by(LeaveRequest.created_at.desc())).all()
        return [LeaveView(r.key, r.destination, r.start_date, r.end_date, r.reason, r.status,
                          r.decision_note) for r in rows]


def report_return(store: Store, clock: Clock, person_id: int, leave_key: str) -> None:
    now = clock.now()
    with store.session() as s:
        row = s.get(LeaveRequest, leave_key)
        if row is None or row.person_id != person_id:
            raise FlowError("leave.error.not_found")
        if row.status != "approved":
            raise FlowError("leave.error.not_approved")
        row.status = "closed"
        row.returned_at = naive_utc(now)
        outbox.enqueue(s, key=outbox.new_key(), kind=EventKind.leave_return.value,
                       person_id=person_id, occurred_at=now, payload={"leave_key": leave_key})


def detail_text(view: LeaveView, tr, config: TerminalConfig) -> str:
    """One line under a leave's status: who decides a request still open, or the last day
    to report back (销假) of an approved one; "" otherwise."""
    if view.status in ("queued", "pending"):
        level = leave_rules.approval_level(leave_rules.LeavePeriod(view.start_date,
                                                                   view.end_date), config)
        return tr(f"leave_rules.level.{level}")
    if view.status == "approved":
        due = leave_rules.return_due(view.end_date, config)
        return tr("leave_rules.return_by", month=due.month, day=due.day)
    return ""
