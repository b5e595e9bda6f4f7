"""Leave status (请假进度) and return from leave (销假).

The list shows each request's status as the core words it; a 销假 button appears only
where the core says `can_return`, and beside it 打印批假单 (the approval slip, printed
by the core's receipt printer). Confirming the return is its own screen.
"""
from kivy.uix.boxlayout import BoxLayout

from screens import theme
from screens.base import KioskScreen
from screens.dates import format_date
from screens.paged_list import PagedListScreen
from screens.tasks import run_task
from screens.widgets import Card, KButton, KLabel

STATUS_COLOURS = {"approved": theme.SUCCESS_TEXT, "rejected": theme.ERROR_TEXT}


class LeaveStatusScreen(PagedListScreen):
    name = "leave_status"
    title_key = "ui.leave_status.title"
    prompt_key = "ui.leave_status.prompt"
    # One request a page: its trip, status, approver or 销假 deadline, and its two buttons
    # need the card's whole height for the large text (and one thing to decide at a time).
    per_page = 1
    empty_key = "ui.leave_status.empty"
    task_name = "leave-requests"

    def build_body(self):
        super().build_body()
        self.message = KLabel(tr_key="", size_hint_y=None, height=0, font_size=theme.FONT_MIN,
                              kiosk_id="leave_status.message")
        self.body.add_widget(self.message)

    def reset(self):
        super().reset()
        self._show_message("")

    def fetch(self):
        return self.core.leave_requests()

    def card(self, index, leave):
        card = Card(padding=(theme.PAD, theme.PAD // 2), spacing=theme.SPACING)
        texts = BoxLayout(orientation="vertical")
        texts.add_widget(KLabel(tr_key="ui.leave_status.trip", halign="left",
                                tr_kw={"destination": leave.destination,
                                       "start": format_date(self.tr, leave.start_date, False),
                                       "end": format_date(self.tr, leave.end_date, False)},
                                kiosk_id=f"leave_status.{index}.trip", font_size=theme.FONT_MIN))
        note = f"  {leave.decision_note}" if leave.decision_note else ""
        # the trip may take two lines beside the buttons; the status keeps one
        texts.add_widget(KLabel(text=f"{leave.status_text}{note}", halign="left", bold=True,
                                size_hint_y=0.6,
                                color=STATUS_COLOURS.get(leave.status, theme.TEXT),
                                kiosk_id=f"leave_status.{index}.status"))
        if getattr(leave, "detail_text", ""):
            texts.add_widget(KLabel(text=leave.detail_text, halign="left",
                                    font_size=theme.FONT_MIN,
                                    kiosk_id=f"leave_status.{index}.detail"))
        card.add_widget(texts)
        if leave.can_return:
            card.add_widget(KButton(tr_key="ui.leave_status.print", style="primary",
                                    size_hint=(None, None), width=260, pos_hint={"center_y": 0.5},
                                    kiosk_id=f"leave_status.{index}.print",
                                    on_release=lambda button: self._print(leave, button)))
            card.add_widget(KButton(tr_key="ui.leave_status.return", style="success", bold=True,
                                    size_hint=(None, None), width=200, pos_hint={"center_y": 0.5},
                                    kiosk_id=f"leave_status.{index}.return",
                                    on_release=lambda *_: self._return(leave)))
        return card

    def _show_message(self, key, kind="info"):
        self.message.height = 52 if key else 0  # one line; the cards keep their room
        self.set_message(self.message, key, kind=kind)

    def _print(self, leave, button):
        button.disabled = True
        self._show_message("ui.leave_status.printing")

        def done(outcome):
            button.disabled = False
            key = "ui.leave_status.printed" if outcome.printed else outcome.message_key
            self._show_message(key, "info" if outcome.printed else "error")
            self.app.speak(key)

        def failed(key, **params):
            button.disabled = False
            self._show_message(key, "error")
            self.app.speak(key, **params)

        run_task(lambda: self.core.print_leave_slip(leave.key), done, failed, name="leave-slip")

    def _return(self, leave):
        self.app.state.return_leave = leave
        self.go("leave_return")


class LeaveReturnScreen(KioskScreen):
    name = "leave_return"
    title_key = "ui.leave_return.title"
    prompt_key = "ui.leave_return.prompt"
    back_to = "leave_status"

    def build_body(self):
        trip = Card(size_hint_y=None, height=theme.BUTTON_H, padding=theme.PAD // 2)
        self.trip = KLabel(tr_key="ui.leave_status.trip", kiosk_id="leave_return.trip")
        trip.add_widget(self.trip)
        self.question = KLabel(tr_key="ui.leave_return.prompt", font_size=theme.FONT_TITLE,
                               kiosk_id="leave_return.question")
        self.message = KLabel(tr_key="", kiosk_id="leave_return.message", size_hint_y=0.5)
        for widget in (trip, self.question, self.message):
            self.body.add_widget(widget)
        self.confirm = KButton(tr_key="ui.leave_return.confirm", style="success", bold=True,
                               kiosk_id="leave_return.confirm", on_release=lambda *_: self.submit())
        self.home_button = KButton(tr_key="ui.nav.home", style="primary", kiosk_id="nav.home",
                                   on_release=lambda *_: self.go("menu"))

    def reset(self):
        self.footer.clear_widgets()
        self.footer.add_widget(self.back_button)
        self.footer.add_widget(self.confirm)
        self.confirm.disabled = False
        self.back_button.disabled = False
        self.question.tr_key = "ui.leave_return.prompt"
        self.question.color = theme.TEXT
        self.set_message(self.message)

    def refresh(self):
        leave = self.app.state.return_leave
        if leave is not None:
            self.trip.tr_kw = {"destination": leave.destination,
                               "start": format_date(self.tr, leave.start_date, False),
                               "end": format_date(self.tr, leave.end_date, False)}

    def submit(self):
        self.confirm.disabled = True
        self.back_button.disabled = True
        self.set_message(self.message, "ui.leave_return.working", kind="info")
        key = self.app.state.return_leave.key
        run_task(lambda: self.core.report_return(key), self._done, self._failed, name="return")

    def _done(self, _result):
        self.footer.clear_widgets()
        self.footer.add_widget(self.home_button)
        self.question.tr_key = "ui.leave_return.done"
        self.question.color = theme.SUCCESS_TEXT
        self.set_message(self.message)
        self.app.speak("ui.leave_return.done")

    def _failed(self, key, **params):
        self.confirm.disabled = False
        self.back_button.disabled = False
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)
