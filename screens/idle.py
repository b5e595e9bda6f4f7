"""Idle screen: camera preview and "please stand in front of the screen".

Polls the core's identification state and shows the core's own guidance
(`IdentityState.message_key`); the core decides who is in front of the camera.
"""
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.preview import CameraPreview
from screens.tasks import call_safely
from screens.widgets import KButton, KLabel

POLL_SECONDS = 0.2
STEP_UP_KEY = "idle.prompt.step_up"  # the core's default guidance
# status -> (colour of the guidance, show "try again", show "call staff")
STATUS_LOOK = {
    "camera_unavailable": (theme.ERROR_TEXT, False, True),
    "not_recognised": (theme.ERROR_TEXT, True, True),
    "looking": (theme.CARD_BORDER, False, False),
    "identified": (theme.SUCCESS_TEXT, False, False),
}


class IdleScreen(KioskScreen):
    name = "idle"
    title_key = "ui.idle.title"
    prompt_key = STEP_UP_KEY
    back_to = None

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2)
        self.preview = CameraPreview(size_hint_x=0.5)
        right = BoxLayout(orientation="vertical", spacing=theme.SPACING, size_hint_x=0.5)
        self.guidance = KLabel(tr_key=STEP_UP_KEY, font_size=theme.FONT_TITLE + 4, bold=True,
                               kiosk_id="idle.guidance")
        self.retry_button = KButton(tr_key="ui.idle.retry", style="primary", kiosk_id="idle.retry",
                                    on_release=lambda *_: self._begin())
        self.help_button = KButton(tr_key="ui.topbar.call_staff", style="danger",
                                   kiosk_id="idle.call_staff",
                                   on_release=lambda *_: self.app.call_staff())
        self.actions = BoxLayout(spacing=theme.SPACING, size_hint_y=None, height=theme.BUTTON_H)
        right.add_widget(self.guidance)
        right.add_widget(self.actions)
        row.add_widget(self.preview)
        row.add_widget(right)
        self.body.add_widget(row)
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.idle.staff_entry", style="secondary",
                                       kiosk_id="idle.staff", size_hint_x=None, width=340,
                                       font_size=theme.FONT_MIN,
                                       on_release=lambda *_: self._staff()))
        self._event = None
        self._last = None

    def on_pre_enter(self, *args):
        super().on_pre_enter(*args)
        self._begin()
        self.preview.start(self.core.camera_frame)
        self._event = Clock.schedule_interval(self._poll, POLL_SECONDS)

    def on_leave(self, *_):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self.preview.stop()

    def _begin(self):
        self._last = None
        self._show(None, STEP_UP_KEY)
        call_safely(self.core.begin_identification, self._show_error)

    def _staff(self):
        call_safely(self.core.cancel_identification)
        self.go("staff_pin")

    def _show_error(self, key, **params):
        self._show("camera_unavailable", key, **params)

    def _poll(self, *_):
        state = call_safely(self.core.identity_state, self._show_error)
        if state is None:
            return
        if state.status == "identified" and self.core.person is not None:
            self.go("menu")
            return
        if (state.status, state.message_key) != self._last:
            self._last = (state.status, state.message_key)
            self._show(state.status, state.message_key or STEP_UP_KEY)
            if state.status in ("not_recognised", "camera_unavailable"):
                self.app.speak(state.message_key or STEP_UP_KEY)

    def _show(self, status, key, **params):
        colour, retry, call = STATUS_LOOK.get(status, (theme.TEXT, False, False))
        self.guidance.color = colour
        self.guidance.tr_kw = params
        self.guidance.tr_key = key
        self.actions.clear_widgets()
        self.actions.opacity = 1 if (retry or call) else 0
        for shown, button in ((retry, self.retry_button), (call, self.help_button)):
            if shown:
                self.actions.add_widget(button)
