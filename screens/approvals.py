"""The other approvals (执行地变更, 会客, 迁居, 经常性跨市县, 病情复查延期), one decision
per screen: type -> the type's fields, one per screen (place, whom, date, last day,
reason) -> summary and confirm. The same choice pads and day steppers as the leave
request; every rule is checked by `core.submit_approval`.
"""
from datetime import date, timedelta

from screens import theme
from screens.base import KioskScreen
from screens.dates import format_date
from screens.leave_request import _ChoiceScreen, _DateScreen
from screens.tasks import call_safely, run_task
from screens.widgets import Card, KButton, KLabel

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


class ApprovalTypeScreen(_ChoiceScreen):
    name = "approval_type"
    title_key = "ui.approval.type_title"
    prompt_key = "ui.approval.type_prompt"
    cols, rows = 2, 3

    def build_body(self):
        super().build_body()
        self.footer.add_widget(KButton(tr_key="ui.menu.approval_status", style="primary",
                                       kiosk_id="approval_type.status", size_hint_x=None,
                                       width=360, on_release=lambda *_: self.go("approval_status")))

    def refresh(self):
        self.pad.items = list(call_safely(self.core.approval_types, self.show_error) or [])

    def chosen(self, value):
        state = self.app.state
        state.approval_type = value
        state.approval_place = state.approval_counterpart = state.approval_reason = None
        state.approval_start = state.approval_end = None
        steps = list(self.core.approval_steps(value))
        self.go(STEP_SCREENS[steps[0]] if steps else "approval_confirm")


class ApprovalPlaceScreen(_Step, _ChoiceScreen):
    name = "approval_place"
    title_key = "ui.approval.place_title"
    prompt_key = "ui.approval.place_prompt"
    flow_step = "place"
    cols, rows = 4, 3

    def refresh(self):
        places = call_safely(self.core.leave_destinations, self.show_error) or []
        self.pad.items = [(p, p) for p in places]

    def chosen(self, value):
        self.app.state.approval_place = value
        self.go_next()


class ApprovalCounterpartScreen(_Step, _ChoiceScreen):
    name = "approval_counterpart"
    title_key = "ui.approval.counterpart_title"
    prompt_key = "ui.approval.counterpart_prompt"
    flow_step = "counterpart"
    cols, rows = 2, 3

    def refresh(self):
        self.pad.items = list(call_safely(self.core.approval_counterparts, self.show_error) or [])

    def chosen(self, value):
        self.app.state.approval_counterpart = value
        self.go_next()


class ApprovalReasonScreen(_Step, _ChoiceScreen):
    name = "approval_reason"
    title_key = "ui.approval.reason_title"
    prompt_key = "ui.approval.reason_prompt"
    flow_step = "reason"
    cols, rows = 2, 3

    def refresh(self):
        kind = self.app.state.approval_type or ""
        self.pad.items = list(call_safely(lambda: self.core.approval_reasons(kind),
                                          self.show_error) or [])

    def chosen(self, value):
        self.app.state.approval_reason = value
        self.go_next()


class ApprovalStartScreen(_Step, _DateScreen):
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

    def confirm(self):
        self.go_next()


class ApprovalEndScreen(_Step, _DateScreen):
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

    def confirm(self):
        self.go_next()


class ApprovalConfirmScreen(_Step, KioskScreen):
    name = "approval_confirm"
    title_key = "ui.approval.confirm_title"
    prompt_key = "ui.approval.confirm_prompt"
    flow_step = "confirm"

    def build_body(self):
        self.summary = Card(orientation="vertical", padding=theme.PAD, spacing=4)
        self.message = KLabel(tr_key="", size_hint_y=None, height=70, kiosk_id="approval_confirm.message")
        self.body.add_widget(self.summary)
        self.body.add_widget(self.message)
        self.submit_button = KButton(tr_key="ui.approval.submit", style="success", bold=True,
                                     kiosk_id="approval_confirm.submit",
                                     on_release=lambda *_: self.submit())
        self.status_button = KButton(tr_key="ui.approval.see_status", style="primary",
                                     kiosk_id="approval_confirm.status",
                                     on_release=lambda *_: self.go("approval_status"))
        self.home_button = KButton(tr_key="ui.nav.home", style="secondary", kiosk_id="nav.home",
                                   size_hint_x=None, width=400, on_release=lambda *_: self.go("menu"))

    def reset(self):
        self.footer.clear_widgets()
        self.footer.add_widget(self.back_button)
        self.footer.add_widget(self.submit_button)
        self.submit_button.disabled = False
        self.back_button.disabled = False
        self.set_message(self.message)

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

    def submit(self):
        state = self.app.state
        self.submit_button.disabled = True
        self.back_button.disabled = True
        self.set_message(self.message, "ui.approval.submitting", kind="info")
        args = (state.approval_type, state.approval_start, state.approval_end,
                state.approval_place, state.approval_counterpart, state.approval_reason)
        run_task(lambda: self.core.submit_approval(*args), self._submitted, self._failed,
                 name="submit-approval")

    def _submitted(self, _key):
        state = self.app.state
        state.approval_type = state.approval_place = state.approval_counterpart = None
        state.approval_start = state.approval_end = state.approval_reason = None
        self.back_button.disabled = False
        self.footer.clear_widgets()
        self.footer.add_widget(self.home_button)
        self.footer.add_widget(self.status_button)
        self.set_message(self.message, "ui.approval.submitted", kind="success")
        self.app.speak("ui.approval.submitted")

    def _failed(self, key, **params):
        self.submit_button.disabled = False
        self.back_button.disabled = False
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)
