"""The last screen of a request flow: its summary, then submit; after success, home or status.

`SubmitScreen` is shared by the leave request (请假) and the other approvals. A subclass
sets the catalogue keys of its texts (written out, so the catalogue check finds them),
`status_screen` and `task_name`, fills `self.summary` in `refresh()`, and gives
`submission()` and `clear_choices()`.
"""
from screens import theme
from screens.base import KioskScreen
from screens.tasks import run_task
from screens.widgets import Card, KButton, KLabel


class SubmitScreen(KioskScreen):
    submit_key = see_status_key = submitting_key = submitted_key = ""
    status_screen = ""
    task_name = ""

    def build_body(self):
        self.summary = Card(orientation="vertical", padding=theme.PAD, spacing=4)
        self.build_summary()
        self.message = KLabel(tr_key="", size_hint_y=None, height=70, kiosk_id=f"{self.name}.message")
        self.body.add_widget(self.summary)
        self.body.add_widget(self.message)
        self.submit_button = KButton(tr_key=self.submit_key, style="success", bold=True,
                                     kiosk_id=f"{self.name}.submit",
                                     on_release=lambda *_: self.submit())
        self.status_button = KButton(tr_key=self.see_status_key, style="primary",
                                     kiosk_id=f"{self.name}.status",
                                     on_release=lambda *_: self.go(self.status_screen))
        self.home_button = KButton(tr_key="ui.nav.home", style="secondary", kiosk_id="nav.home",
                                   size_hint_x=None, width=400, on_release=lambda *_: self.go("menu"))

    def build_summary(self):
        """Add the summary's fixed lines to `self.summary` (none by default)."""

    def submission(self):
        """The core call that submits the choices, bound to them now (runs off the UI thread)."""
        raise NotImplementedError

    def clear_choices(self):
        """Forget the submitted choices in `app.state`."""

    def reset(self):
        self.footer.clear_widgets()
        self.footer.add_widget(self.back_button)
        self.footer.add_widget(self.submit_button)
        self.submit_button.disabled = False
        self.back_button.disabled = False  # a session that ended mid-submit left it off
        self.set_message(self.message)

    def submit(self):
        self.submit_button.disabled = True
        self.back_button.disabled = True
        self.set_message(self.message, self.submitting_key, kind="info")
        run_task(self.submission(), self._submitted, self._failed, name=self.task_name)

    def _submitted(self, _key):
        self.clear_choices()
        self.back_button.disabled = False
        self.footer.clear_widgets()
        self.footer.add_widget(self.home_button)
        self.footer.add_widget(self.status_button)
        self.set_message(self.message, self.submitted_key, kind="success")
        self.app.speak(self.submitted_key)

    def _failed(self, key, **params):
        self.submit_button.disabled = False
        self.back_button.disabled = False
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)
