"""Leave request (请假) as five screens, one decision each:
destination -> first day -> last day -> reason -> summary and confirm.

The choices are kept in `app.state` until the core accepts or refuses the request;
every rule (how far ahead, how long) is checked by `core.submit_leave`.
"""
from datetime import date
from functools import partial

from screens.dates import format_date
from screens.pickers import ChoiceScreen, DateScreen
from screens.submit import SubmitScreen
from screens.tasks import call_safely
from screens.widgets import KLabel


class LeaveDestinationScreen(ChoiceScreen):
    name = "leave_dest"
    title_key = "ui.leave.destination_title"
    prompt_key = "ui.leave.destination_prompt"
    cols, rows = 4, 3
    field = "leave_destination"
    next_screen = "leave_start"

    def choices(self):
        return [(d, d) for d in self.core.leave_destinations()]


class LeaveReasonScreen(ChoiceScreen):
    name = "leave_reason"
    title_key = "ui.leave.reason_title"
    prompt_key = "ui.leave.reason_prompt"
    back_to = "leave_end"
    cols, rows = 2, 3
    field = "leave_reason_key"
    next_screen = "leave_confirm"

    def choices(self):
        return self.core.leave_reasons()


class LeaveStartScreen(DateScreen):
    name = "leave_start"
    title_key = "ui.leave.start_title"
    prompt_key = "ui.leave.start_prompt"
    back_to = "leave_dest"
    field = "leave_start"
    next_screen = "leave_end"


class LeaveEndScreen(DateScreen):
    name = "leave_end"
    title_key = "ui.leave.end_title"
    prompt_key = "ui.leave.end_prompt"
    back_to = "leave_start"
    field = "leave_end"
    next_screen = "leave_reason"

    def earliest(self) -> date:
        return self.app.state.leave_start or self.today()


class LeaveConfirmScreen(SubmitScreen):
    name = "leave_confirm"
    title_key = "ui.leave.confirm_title"
    prompt_key = "ui.leave.confirm_prompt"
    back_to = "leave_reason"
    submit_key, see_status_key = "ui.leave.submit", "ui.leave.see_status"
    submitting_key, submitted_key = "ui.leave.submitting", "ui.leave.submitted"
    status_screen = "leave_status"
    task_name = "submit-leave"

    def build_summary(self):
        self.lines = {}
        for field in ("destination", "start", "end", "reason"):
            label = KLabel(tr_key=f"ui.leave.summary_{field}", halign="left",
                           kiosk_id=f"leave_confirm.{field}")
            self.lines[field] = label
            self.summary.add_widget(label)

    def refresh(self):
        state = self.app.state
        reasons = dict(call_safely(self.core.leave_reasons) or [])
        start, end = state.leave_start, state.leave_end
        if start is None or end is None:
            return
        self.lines["destination"].tr_kw = {"destination": state.leave_destination or ""}
        self.lines["start"].tr_kw = {"date": format_date(self.tr, start)}
        self.lines["end"].tr_kw = {"date": format_date(self.tr, end),
                                   "days": (end - start).days + 1}
        self.lines["reason"].tr_kw = {"reason": reasons.get(state.leave_reason_key, "")}

    def submission(self):
        state = self.app.state
        return partial(self.core.submit_leave, state.leave_destination, state.leave_start,
                       state.leave_end, state.leave_reason_key)

    def clear_choices(self):
        state = self.app.state
        state.leave_destination = state.leave_start = state.leave_end = None
        state.leave_reason_key = None
