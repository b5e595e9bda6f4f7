"""The other approvals (执行地变更, 会客, 迁居, 经常性跨市县, 病情复查延期), one decision
per screen: type -> the type's fields, one per screen (place, whom, date, last day,
reason) -> summary and confirm. The same choice pads and day steppers as the leave
request; every rule is checked by `core.submit_approval`.
"""
from datetime import date, timedelta
from functools import partial

from screens.dates import format_date
from screens.pickers import ChoiceScreen, DateScreen
from screens.submit import SubmitScreen
from screens.widgets import KButton, KLabel

# The screen of each field a type asks (core.approval_steps).
STEP_SCREENS = {"place": "approval_place", "counterpart": "approval_counterpart",
                "start": "approval_start", "end": "approval_end", "reason": "approval_reason"}


class _Step:
    """Next and back follow the chosen type's own list of fields."""

    flow_step = ""  # (not "step": the date screens' stepper method has that name)

    def _steps(self):
        return list(self.core.approval_steps(self.app.state.approval_type or ""))

    def go_next(self):
        steps = self._steps()
        index = steps.index(self.flow_step) if self.flow_step in steps else len(steps)
        self.go(STEP_SCREENS[steps[index + 1]] if index + 1 < len(steps) else "approval_confirm")

    def go_back(self):
        steps = self._steps()
        index = steps.index(self.flow_step) if self.flow_step in steps else len(steps)
        self.go(STEP_SCREENS[steps[index - 1]] if index > 0 else "approval_type")

    def confirm(self):
        self.go_next()


class ApprovalTypeScreen(ChoiceScreen):
    name = "approval_type"
    title_key = "ui.approval.type_title"
    prompt_key = "ui.approval.type_prompt"
    cols, rows = 2, 3

    def build_body(self):
        super().build_body()
        self.footer.add_widget(KButton(tr_key="ui.menu.approval_status", style="primary",
                                       kiosk_id="approval_type.status", size_hint_x=None,
                                       width=360, on_release=lambda *_: self.go("approval_status")))

    def choices(self):
        return self.core.approval_types()

    def chosen(self, value):
        state = self.app.state
        state.approval_type = value
        state.approval_place = state.approval_counterpart = state.approval_reason = None
        state.approval_start = state.approval_end = None
        steps = list(self.core.approval_steps(value))
        self.go(STEP_SCREENS[steps[0]] if steps else "approval_confirm")


class ApprovalPlaceScreen(_Step, ChoiceScreen):
    name = "approval_place"
    title_key = "ui.approval.place_title"
    prompt_key = "ui.approval.place_prompt"
    flow_step = "place"
    field = "approval_place"
    cols, rows = 4, 3

    def choices(self):
        return [(p, p) for p in self.core.leave_destinations()]


class ApprovalCounterpartScreen(_Step, ChoiceScreen):
    name = "approval_counterpart"
    title_key = "ui.approval.counterpart_title"
    prompt_key = "ui.approval.counterpart_prompt"
    flow_step = "counterpart"
    field = "approval_counterpart"
    cols, rows = 2, 3

    def choices(self):
        return self.core.approval_counterparts()


class ApprovalReasonScreen(_Step, ChoiceScreen):
    name = "approval_reason"
    title_key = "ui.approval.reason_title"
    prompt_key = "ui.approval.reason_prompt"
    flow_step = "reason"
    field = "approval_reason"
    cols, rows = 2, 3

    def choices(self):
        return self.core.approval_reasons(self.app.state.approval_type or "")


class ApprovalStartScreen(_Step, DateScreen):
    name = "approval_start"
    title_key = "ui.approval.start_title.move"
    prompt_key = "ui.approval.start_prompt"
    flow_step = "start"
    field = "approval_start"

    def earliest(self) -> date:
        # a change of execution place starts a month ahead: the stepper cannot go earlier
        return self.core.approval_earliest(self.app.state.approval_type or "")

    def reset(self):
        self.title_label.tr_key = f"ui.approval.start_title.{self.app.state.approval_type or 'move'}"
        super().reset()


class ApprovalEndScreen(_Step, DateScreen):
    name = "approval_end"
    title_key = "ui.approval.end_title"
    prompt_key = "ui.approval.end_prompt"
    flow_step = "end"
    field = "approval_end"

    def earliest(self) -> date:
        return self.app.state.approval_start or self.today()

    def latest(self) -> date:
        return self.core.approval_latest_end(self.earliest())

    def reset(self):
        # a standing approval usually runs its full length (DOMAIN.md: 6 months): offered
        # first, so most people only press OK
        state = self.app.state
        if state.approval_end is None or not self.earliest() <= state.approval_end <= self.latest():
            state.approval_end = self.latest()

    def refresh(self):
        super().refresh()
        self.later.disabled = self.app.state.approval_end >= self.latest()

    def step(self, days: int):
        """One day earlier/later, never past the longest standing approval."""
        day = self.app.state.approval_end + timedelta(days=days)
        self.app.state.approval_end = min(max(day, self.earliest()), self.latest())
        self.refresh()


class ApprovalConfirmScreen(_Step, SubmitScreen):
    name = "approval_confirm"
    title_key = "ui.approval.confirm_title"
    prompt_key = "ui.approval.confirm_prompt"
    flow_step = "confirm"
    submit_key, see_status_key = "ui.approval.submit", "ui.approval.see_status"
    submitting_key, submitted_key = "ui.approval.submitting", "ui.approval.submitted"
    status_screen = "approval_status"
    task_name = "submit-approval"

    def refresh(self):
        state = self.app.state
        kind = state.approval_type or ""
        steps = self._steps()
        lines = [("ui.approval.summary_type", {"type": self.tr(f"approval.type.{kind}")})]
        if "place" in steps:
            lines.append(("ui.approval.summary_place", {"place": state.approval_place or ""}))
        if "counterpart" in steps and state.approval_counterpart:
            lines.append(("ui.approval.summary_counterpart",
                          {"counterpart": self.tr(state.approval_counterpart)}))
        if state.approval_start and "end" in steps and state.approval_end:
            lines.append(("ui.approval.summary_range",
                          {"start": format_date(self.tr, state.approval_start, False),
                           "end": format_date(self.tr, state.approval_end, False)}))
        elif state.approval_start:
            lines.append(("ui.approval.summary_date",
                          {"date": format_date(self.tr, state.approval_start)}))
        if state.approval_reason:
            lines.append(("ui.approval.summary_reason", {"reason": self.tr(state.approval_reason)}))
        if kind == "move":
            lines.append(("ui.approval.move_note", {}))
        self.summary.clear_widgets()
        for index, (key, params) in enumerate(lines):
            self.summary.add_widget(KLabel(tr_key=key, tr_kw=params, halign="left",
                                           kiosk_id=f"approval_confirm.line{index}"))

    def go_back(self):
        steps = self._steps()
        self.go(STEP_SCREENS[steps[-1]] if steps else "approval_type")

    def submission(self):
        state = self.app.state
        return partial(self.core.submit_approval, state.approval_type, state.approval_start,
                       state.approval_end, state.approval_place, state.approval_counterpart,
                       state.approval_reason)

    def clear_choices(self):
        state = self.app.state
        state.approval_type = state.approval_place = state.approval_counterpart = None
        state.approval_start = state.approval_end = state.approval_reason = None
