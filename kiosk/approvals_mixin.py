"""The core's side of the other approvals (执行地变更, 会客, 迁居...): what the screens
call. No Kivy; every rule is in ``kiosk.flows.approvals``."""
from __future__ import annotations

import datetime as dt

from kiosk.flows import approvals
from kiosk.i18n import Translator, translate


class ApprovalsMixin:
    """Mixed into ``KioskCore`` (uses its store, clock, client, tr and person)."""

    def approval_types(self) -> list[tuple[str, str]]:
        """(type, label) of the requests this person may file."""
        person = self._require_person()
        return [(t, self.tr(f"approval.type.{t}")) for t in approvals.types_for(person.case_type)]

    def approval_steps(self, kind: str) -> tuple[str, ...]:
        """The fields asked for ``kind``, in screen order (place, counterpart, start, end, reason)."""
        return approvals.STEPS.get(kind, ())

    def approval_earliest(self, kind: str) -> dt.date:
        return approvals.earliest_start(kind, self.clock.today())

    def approval_latest_end(self, start: dt.date) -> dt.date:
        return approvals.latest_end(start)

    def approval_reasons(self, kind: str) -> list[tuple[str, str]]:
        return [(k, self.tr(k)) for k in approvals.reason_keys(kind)]

    def approval_counterparts(self) -> list[tuple[str, str]]:
        return [(k, self.tr(k)) for k in approvals.COUNTERPART_KEYS]

    def submit_approval(self, kind: str, start_date: dt.date | None, end_date: dt.date | None,
                        place: str, counterpart_key: str, reason_key: str) -> str:
        person = self._require_person()
        draft = approvals.Draft(type=kind, start_date=start_date, end_date=end_date,
                                place=self._place_in_chinese(place or ""),
                                counterpart_key=counterpart_key or "",
                                reason_key=reason_key or "")
        key = approvals.submit(self._store(), self.clock, person.id, person.case_type, draft)
        self._poke()
        return key

    def approval_requests(self) -> list["ApprovalItem"]:
        person = self._require_person()
        approvals.refresh(self._store(), self.client, self.clock, person.id)
        return [ApprovalItem(v, self.tr) for v in approvals.list_for(self._store(), person.id)]

    def _place_in_chinese(self, place: str) -> str:
        """The record keeps the Chinese place name, whatever language the screen shows."""
        for n, shown in enumerate(self.leave_destinations(), 1):
            if place == shown:
                return translate(f"place.{n}")
        return place


class ApprovalItem:
    """A request as the status screen shows it: type and status translated."""

    def __init__(self, view: approvals.ApprovalView, tr: Translator) -> None:
        self.key = view.key
        self.type = view.type
        self.type_text = tr(f"approval.type.{view.type}")
        self.start_date = view.start_date
        self.end_date = view.end_date
        self.place = view.place
        self.status = view.status
        self.status_text = tr(f"approval.status.{view.status}")
        self.decision_note = view.decision_note
