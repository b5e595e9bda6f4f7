"""Idle screen: camera preview and "please stand in front of the screen".

Polls the core's identification state and shows the core's own guidance
(`IdentityState.message_key`, plus `hint_key` when it says more); the core decides who
is in front of the camera. Liveness and voice are shown by the verify screen. The person
can also type their ID number or put their ID card on the reader (1:1 check).
"""
import time

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.preview import CameraPreview
from screens.tasks import call_safely
from screens.widgets import KButton, KLabel

POLL_SECONDS = 0.2
FAILURE_HOLD_SECONDS = 4.0  # a failure message stays readable at least this long
STEP_UP_KEY = "idle.prompt.step_up"  # the core's default guidance
FAILURES = ("not_recognised", "staff_called", "camera_unavailable")
CONFIRMING = ("liveness", "voice")  # shown by the verify screen
# status -> (colour of the guidance, show "try again", show "call staff")
STATUS_LOOK = {
    "camera_unavailable": (theme.ERROR_TEXT, False, True),
    "not_recognised": (theme.ERROR_TEXT, True, True),
    "staff_called": (theme.ERROR_TEXT, True, True),
    "looking": (theme.CARD_BORDER, False, False),
    "identified": (theme.SUCCESS_TEXT, False, False),
}
DETAIL_H = 110
CARD_LINE_H = 100


def show_idle(app, restart: bool = True) -> None:
    """Go to the idle screen. `restart=False` (back from a failed check, or after an ID
    number was accepted) keeps the core's attempt running: its count and its message."""
    if app.manager.current == "idle":
        return  # already there: a late poll of the previous screen must not leave a flag
    app.manager.get_screen("idle").restart_on_entry = restart
    app.go("idle")


class IdleScreen(KioskScreen):
    name = "idle"
    title_key = "ui.idle.title"
    prompt_key = STEP_UP_KEY
    back_to = None

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2)
        self.preview = CameraPreview(size_hint_x=0.42)
        right = BoxLayout(orientation="vertical", spacing=theme.SPACING // 2, size_hint_x=0.58)
        self.guidance = KLabel(tr_key=STEP_UP_KEY, font_size=theme.FONT_TITLE + 4, bold=True,
                               kiosk_id="idle.guidance")
        self.detail = KLabel(font_size=theme.FONT_BODY + 4, kiosk_id="idle.hint",
                             size_hint_y=None, height=0)
        self.card_line = KLabel(tr_key="ui.idle.card_hint", color=theme.TEXT_MUTED,
                                kiosk_id="idle.card_hint", size_hint_y=None, height=CARD_LINE_H)
        self.retry_button = KButton(tr_key="ui.idle.retry", style="primary", kiosk_id="idle.retry",
                                    on_release=lambda *_: self._retry())
        self.help_button = KButton(tr_key="ui.topbar.call_staff", style="danger",
                                   kiosk_id="idle.call_staff",
                                   on_release=lambda *_: self.app.call_staff())
        self.actions = BoxLayout(spacing=theme.SPACING, size_hint_y=None, height=0)
        for widget in (self.guidance, self.detail, self.card_line, self.actions):
            right.add_widget(widget)
        row.add_widget(self.preview)
        row.add_widget(right)
        self.body.add_widget(row)
        self.footer.add_widget(KButton(tr_key="ui.idle.id_number", style="primary", bold=True,
                                       kiosk_id="idle.id_number", size_hint_x=None, width=460,
                                       on_release=lambda *_: self.go("id_number")))
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.idle.staff_entry", style="secondary",
                                       kiosk_id="idle.staff", size_hint_x=None, width=340,
                                       font_size=theme.FONT_MIN,
                                       on_release=lambda *_: self._staff()))
        self.restart_on_entry = True
        self._restarted = True
        self._event = None
        self._last = None
        self._held_until = 0.0

    def on_pre_enter(self, *args):
        super().on_pre_enter(*args)
        self._restarted, self.restart_on_entry = self.restart_on_entry, True
        self._last, self._held_until = None, 0.0
        if self._restarted:
            self._begin()
        else:  # back from the verify screen: show the core's message, start nothing
            self._show(None, STEP_UP_KEY)
            state = call_safely(self.core.identity_state, self._show_error)
            if state is not None and state.status not in CONFIRMING + ("identified",):
                self._update(state)
        self.preview.start(self.core.camera_frame)
        self._event = Clock.schedule_interval(self._poll, POLL_SECONDS)

    def on_enter(self, *args):
        if self._restarted:  # a failure message is spoken by `_update` instead
            super().on_enter(*args)

    def on_leave(self, *_):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self.preview.stop()

    def _begin(self):
        self._last, self._held_until = None, 0.0
        self._show(None, STEP_UP_KEY)
        call_safely(self.core.begin_identification, self._show_error)

    def _retry(self):
        """After a failed attempt the core tries again by itself (keeping its count): just
        clear the message. After the last attempt (staff called) start a new round."""
        state = call_safely(self.core.identity_state)
        if state is None or state.status in ("staff_called", "camera_unavailable", "idle"):
            self._begin()
            return
        self._last = self._state_key(state)
        self._held_until = 0.0
        self._show(None, STEP_UP_KEY)

    def _staff(self):
        call_safely(self.core.cancel_identification)
        self.go("staff_pin")

    def _show_error(self, key, **params):
        self._show("camera_unavailable", key, **params)

    @staticmethod
    def _state_key(state):
        return (state.status, state.message_key, getattr(state, "hint_key", None),
                getattr(state, "attempts_left", 0), getattr(state, "display_name", ""))

    def _poll(self, *_):
        state = call_safely(self.core.identity_state, self._show_error)
        if state is None:
            return
        if state.status == "identified" and self.core.person is not None:
            self.go("menu")
            return
        if state.status in CONFIRMING:
            self.go("verify")
            return
        self._update(state)

    def _update(self, state):
        key = self._state_key(state)
        if key == self._last:
            return
        if state.status not in FAILURES and time.monotonic() < self._held_until:
            return  # the core moved on; let the person finish reading the failure first
        self._last = key
        message = state.message_key or STEP_UP_KEY
        hint = getattr(state, "hint_key", None)
        self._show(state.status, message, hint=hint if hint != message else None,
                   name=getattr(state, "display_name", "") if getattr(state, "claimed", False) else "")
        if state.status in FAILURES:
            self._held_until = time.monotonic() + FAILURE_HOLD_SECONDS
            self.app.speak(message)

    def _show(self, status, key, hint=None, name="", **params):
        colour, retry, call = STATUS_LOOK.get(status, (theme.TEXT, False, False))
        self.guidance.color = colour
        self.guidance.tr_kw = params
        self.guidance.tr_key = key
        self._line(self.detail, hint or "", DETAIL_H)
        self.detail.color = theme.TEXT if status in FAILURES else theme.CARD_BORDER
        if status in FAILURES or status == "identified":
            self._line(self.card_line, "", CARD_LINE_H)
        elif name:
            self._line(self.card_line, "ui.idle.claimed", CARD_LINE_H, name=name)
        else:
            self._line(self.card_line, "ui.idle.card_hint", CARD_LINE_H)
        self.actions.clear_widgets()
        for shown, button in ((retry, self.retry_button), (call, self.help_button)):
            if shown:
                self.actions.add_widget(button)
        self.actions.height = theme.BUTTON_H if (retry or call) else 0
        self.actions.opacity = 1 if (retry or call) else 0

    @staticmethod
    def _line(label, key, height, **kw):
        """Show `key` in `label` at `height`, or fold the label away when there is none."""
        label.tr_kw = kw
        label.tr_key = key
        if not key:
            label.text = ""
        label.height = height if key else 0
        label.opacity = 1 if key else 0
