"""FakeCore with the other approvals (执行地变更, 会客...): the real rules of
``kiosk.flows.approvals`` (so a refused choice shows the real message), no database."""
from datetime import date, timedelta
from types import SimpleNamespace

from kiosk.flows import approvals
from tests.ui.fake_core import FakeCore


class FakeApprovalsCore(FakeCore):
    def __post_init__(self):
        super().__post_init__()
        today = date.today()
        self._approvals = [
            SimpleNamespace(key="A1", type="visitor", start_date=today - timedelta(days=9),
                            end_date=None, place="", status="approved",
                            decision_note="会见时请遵守规定"),
            SimpleNamespace(key="A2", type="move", start_date=today - timedelta(days=20),
                            end_date=None, place="", status="rejected",
                            decision_note="请先提供新住址的租房合同"),
        ]

    def approval_types(self):
        return [(t, self.tr(f"approval.type.{t}"))
                for t in approvals.types_for(self.person.case_type)]

    def approval_steps(self, kind):
        return approvals.STEPS.get(kind, ())

    def approval_earliest(self, kind):
        return approvals.earliest_start(kind, date.today())

    def approval_latest_end(self, start):
        return approvals.latest_end(start)

    def approval_reasons(self, kind):
        return [(k, self.tr(k)) for k in approvals.reason_keys(kind)]

    def approval_counterparts(self):
        return [(k, self.tr(k)) for k in approvals.COUNTERPART_KEYS]

    def submit_approval(self, kind, start_date, end_date, place, counterpart_key, reason_key):
        draft = approvals.Draft(type=kind, start_date=start_date, end_date=end_date,
                                place=place or "", counterpart_key=counterpart_key or "",
                                reason_key=reason_key or "")
        approvals.validate(draft, self.person.case_type, date.today())
        self._approvals.insert(0, SimpleNamespace(
            key=f"A{len(self._approvals) + 1}", type=kind, start_date=start_date,
            end_date=end_date if "end" in approvals.STEPS[kind] else None,
            place=place or "", status="queued", decision_note=""))
        self._log("submit_approval", type=kind, start=start_date, end=end_date, place=place,
                  counterpart=counterpart_key, reason=reason_key)
        return self._approvals[0].key

    def approval_requests(self):
        return [SimpleNamespace(type_text=self.tr(f"approval.type.{a.type}"),
                                status_text=self.tr(f"approval.status.{a.status}"), **vars(a))
                for a in self._approvals]
