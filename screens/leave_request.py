"""Leave request (请假) as five screens, one decision each:
destination -> first day -> last day -> reason -> summary and confirm.

The choices are kept in `app.state` until the core accepts or refuses the request;
every rule (how far ahead, how long) is checked by `core.submit_leave`.
"""
from datetime import date, timedelta

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.dates import format_date, relative_day, weekday_name
from screens.tasks import call_safely, run_task
from screens.widgets import Card, ChoicePad, KButton, KLabel


class _ChoiceScreen(KioskScreen):
    """A paged pad of choices; tapping one is the decision and moves on."""

    cols, rows = 3, 3

    def build_body(self):
        self.message = KLabel(tr_key="", size_hint_y=None, height=0, kiosk_id=f"{self.name}.message")
        self.pad = ChoicePad(cols=self.cols, per_page=self.cols * self.rows,
                             id_prefix=self.name, chosen_callback=self.chosen)
        self.body.add_widget(self.message)
        self.body.add_widget(self.pad)
        self.footer.add_widget(self.pad.pager)

    def reset(self):
        self.pad.page = 0

    def show_error(self, key, **params):
        self.message.height = theme.BUTTON_H // 2
        self.set_message(self.message, key, **params)

    def chosen(self, value):
        raise NotImplementedError


class LeaveDestinationScreen(_ChoiceScreen):
    name = "leave_dest"
    title_key = "ui.leave.destination_title"
    prompt_key = "ui.leave.destination_prompt"
    cols, rows = 4, 3

    def refresh(self):
        destinations = call_safely(self.core.leave_destinations, self.show_error) or []
        self.pad.items = [(d, d) for d in destinations]

    def chosen(self, value):
        self.app.state.leave_destination = value
        self.go("leave_start")


class LeaveReasonScreen(_ChoiceScreen):
    name = "leave_reason"
    title_key = "ui.leave.reason_title"
    prompt_key = "ui.leave.reason_prompt"
    back_to = "leave_end"
    cols, rows = 2, 3

    def refresh(self):
        self.pad.items = list(call_safely(self.core.leave_reasons, self.show_error) or [])

    def chosen(self, value):
        self.app.state.leave_reason_key = value
        self.go("leave_confirm")


class _DateScreen(KioskScreen):
    """A big date with one-day steppers: no keyboard, no calendar to read."""

    field = ""
    next_screen = ""

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2, padding=(0, theme.PAD))
        self.earlier = KButton(tr_key="ui.date.earlier", style="primary", size_hint_x=None,
                               pos_hint={"center_y": 0.5}, height=theme.BIG_BUTTON_H,
                               width=260, kiosk_id=f"{self.name}.earlier", font_size=theme.FONT_BUTTON,
                               on_release=lambda *_: self.step(-1))
        self.later = KButton(tr_key="ui.date.later", style="primary", size_hint_x=None,
                             pos_hint={"center_y": 0.5}, height=theme.BIG_BUTTON_H,
                             width=260, kiosk_id=f"{self.name}.later", font_size=theme.FONT_BUTTON,
                             on_release=lambda *_: self.step(1))
        shown = Card(orientation="vertical", padding=theme.PAD)
        self.date_label = KLabel(font_size=theme.FONT_HUGE - 12, bold=True, kiosk_id=f"{self.name}.date")
        self.relative_label = KLabel(font_size=theme.FONT_TITLE, color=theme.CARD_BORDER,
                                     kiosk_id=f"{self.name}.relative")
        shown.add_widget(self.date_label)
        shown.add_widget(self.relative_label)
        for widget in (self.earlier, shown, self.later):
            row.add_widget(widget)
        self.body.add_widget(row)
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.nav.ok", style="success", size_hint_x=None,
                                       width=400, kiosk_id=f"{self.name}.ok", bold=True,
                                       on_release=lambda *_: self.confirm()))

    def earliest(self) -> date:
        return self.today()

    def reset(self):
        current = getattr(self.app.state, self.field)
        if current is None or current < self.earliest():
            setattr(self.app.state, self.field, self.earliest())

    def refresh(self):
        day = getattr(self.app.state, self.field)
        self.date_label.text = format_date(self.tr, day, weekday=False)
        self.relative_label.text = (f"{weekday_name(self.tr, day)}   "
                                    f"{relative_day(self.tr, day, self.today())}")
        self.earlier.disabled = day <= self.earliest()

    def step(self, days: int):
        day = getattr(self.app.state, self.field) + timedelta(days=days)
        setattr(self.app.state, self.field, max(day, self.earliest()))
        self.refresh()

    def confirm(self):
        self.go(self.next_screen)


class LeaveStartScreen(_DateScreen):
    name = "leave_start"
    title_key = "ui.leave.start_title"
    prompt_key = "ui.leave.start_prompt"
    back_to = "leave_dest"
    field = "leave_start"
    next_screen = "leave_end"


class LeaveEndScreen(_DateScreen):
    name = "leave_end"
    title_key = "ui.leave.end_title"
    prompt_key = "ui.leave.end_prompt"
    back_to = "leave_start"
    field = "leave_end"
    next_screen = "leave_reason"

    def earliest(self) -> date:
        return self.app.state.leave_start or self.today()


class LeaveConfirmScreen(KioskScreen):
    name = "leave_confirm"
    title_key = "ui.leave.confirm_title"
    prompt_key = "ui.leave.confirm_prompt"
    back_to = "leave_reason"

    def build_body(self):
        self.summary = Card(orientation="vertical", padding=theme.PAD, spacing=4)
        self.lines = {}
        for field in ("destination", "start", "end", "reason"):
            label = KLabel(tr_key=f"ui.leave.summary_{field}", halign="left",
                           kiosk_id=f"leave_confirm.{field}")
            self.lines[field] = label
            self.summary.add_widget(label)
        self.message = KLabel(tr_key="", size_hint_y=None, height=70, kiosk_id="leave_confirm.message")
        self.body.add_widget(self.summary)
        self.body.add_widget(self.message)
        self.submit_button = KButton(tr_key="ui.leave.submit", style="success", bold=True,
                                     kiosk_id="leave_confirm.submit",
                                     on_release=lambda *_: self.submit())
        self.status_button = KButton(tr_key="ui.leave.see_status", style="primary",
                                     kiosk_id="leave_confirm.status",
                                     on_release=lambda *_: self.go("leave_status"))
        self.home_button = KButton(tr_key="ui.nav.home", style="secondary", kiosk_id="nav.home",
                                   size_hint_x=None, width=400, on_release=lambda *_: self.go("menu"))

    def reset(self):
        self.footer.clear_widgets()
        self.footer.add_widget(self.back_button)
        self.footer.add_widget(self.submit_button)
        self.submit_button.disabled = False
        self.summary.opacity = 1
        self.set_message(self.message)

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

    def submit(self):
        state = self.app.state
        self.submit_button.disabled = True
        self.back_button.disabled = True
        self.set_message(self.message, "ui.leave.submitting", kind="info")
        run_task(lambda: self.core.submit_leave(state.leave_destination, state.leave_start,
                                                state.leave_end, state.leave_reason_key),
                 self._submitted, self._failed, name="submit-leave")

    def _submitted(self, _leave_key):
        state = self.app.state
        state.leave_destination = state.leave_start = state.leave_end = None
        state.leave_reason_key = None
        self.back_button.disabled = False
        self.footer.clear_widgets()
        self.footer.add_widget(self.home_button)
        self.footer.add_widget(self.status_button)
        self.set_message(self.message, "ui.leave.submitted", kind="success")
        self.app.speak("ui.leave.submitted")

    def _failed(self, key, **params):
        self.submit_button.disabled = False
        self.back_button.disabled = False
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)
