"""Verify screen: after the face proposed a person, liveness then the voice.

Shown while the core's identification state is "liveness" or "voice". The core drives
both stages and speaks their prompts and the digits itself; this screen only shows
them: the instruction, the step and its progress, the digits to read, "listening".
When the check ends it leaves: identified -> menu, anything else -> the idle screen,
which shows the core's message without restarting (the core keeps its attempt count).
"""
from kivy.animation import Animation
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.idle import show_idle
from screens.preview import CameraPreview
from screens.tasks import call_safely
from screens.widgets import BigProgress, DigitRow, KButton, KLabel

POLL_SECONDS = 0.2
RECORD_SECONDS = 4.5  # the core's default recording length (settings.voice_record_seconds)
DIGITS_H = 140
STATUS_H = 64
PROGRESS_H = 100


class VerifyScreen(KioskScreen):
    name = "verify"
    title_key = "ui.verify.title"
    prompt_key = ""  # the core speaks every prompt of the check itself
    back_to = None

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2)
        self.preview = CameraPreview(size_hint_x=0.42)
        right = BoxLayout(orientation="vertical", spacing=theme.SPACING // 2, size_hint_x=0.58)
        self.instruction = KLabel(font_size=theme.FONT_HUGE, bold=True, color=theme.CARD_BORDER,
                                  kiosk_id="verify.instruction")
        self.digits = DigitRow(size_hint_y=None, height=0, opacity=0)
        self.status_line = KLabel(font_size=theme.FONT_BUTTON, bold=True, size_hint_y=None,
                                  height=STATUS_H, kiosk_id="verify.status")
        self.progress = BigProgress(height=PROGRESS_H)
        for widget in (self.instruction, self.digits, self.status_line, self.progress):
            right.add_widget(widget)
        row.add_widget(self.preview)
        row.add_widget(right)
        self.body.add_widget(row)
        self.footer.add_widget(KButton(tr_key="ui.verify.cancel", style="secondary",
                                       kiosk_id="verify.cancel", size_hint_x=None, width=300,
                                       on_release=lambda *_: self.cancel()))
        self.footer.add_widget(Widget())
        self._event = None
        self._recording = False

    # --- entering and leaving ------------------------------------------------------
    def reset(self):
        self._recording = False
        self._stop_animation()
        self.title_label.tr_kw = {}
        self.title_label.tr_key = self.title_key
        self._set(self.instruction, "")
        self._set(self.status_line, "")
        self._show_digits("")
        self.progress.opacity = 0

    def on_pre_enter(self, *args):
        super().on_pre_enter(*args)
        state = call_safely(self.core.identity_state)
        if state is not None and state.status in ("liveness", "voice"):
            self._render(state)
        self.preview.start(self.core.camera_frame)
        self._event = Clock.schedule_interval(self._poll, POLL_SECONDS)

    def on_leave(self, *_):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self._stop_animation()
        self.preview.stop()

    def cancel(self):
        """The person gives up this check: the idle screen starts afresh."""
        call_safely(self.core.cancel_identification)
        show_idle(self.app, restart=True)

    # --- following the core ----------------------------------------------------------
    def _poll(self, *_):
        state = call_safely(self.core.identity_state)
        if state is None:
            return
        if state.status == "identified":
            if self.core.person is not None:
                self.go("menu")
            return
        if state.status in ("liveness", "voice"):
            self._render(state)
            return
        # failed, retried or ended: the idle screen shows the core's message and keeps
        # its attempt count; only a cancelled watcher ("idle") is started again there
        show_idle(self.app, restart=state.status == "idle")

    def _render(self, state):
        name = getattr(state, "display_name", "")
        self.title_label.tr_kw = {"name": name}
        self.title_label.tr_key = "ui.verify.greeting" if name else self.title_key
        if state.status == "liveness":
            self._liveness(state)
        else:
            self._voice(state)

    def _liveness(self, state):
        self._recording = False
        self._stop_animation()
        self._show_digits("")
        self._instruction_font(theme.FONT_HUGE)
        self._set(self.instruction, state.message_key, theme.CARD_BORDER)
        if state.total:
            self._set(self.status_line, "ui.verify.step", theme.TEXT,
                      step=min(state.step + 1, state.total), total=state.total)
        else:
            self._set(self.status_line, "")
        self.progress.opacity = 1
        self.progress.value = max(0.0, min(1.0, float(state.progress or 0.0)))

    def _voice(self, state):
        self._show_digits(state.digits)
        self._instruction_font(theme.FONT_TITLE)
        self._set(self.instruction, state.message_key or "verify.voice.read_digits", theme.CARD_BORDER)
        if state.recording:
            self._set(self.status_line, "ui.verify.listening", theme.SUCCESS_TEXT)
            if not self._recording:  # the bar fills over the recording
                self._stop_animation()
                self.progress.value = 0
                self.progress.opacity = 1
                Animation(value=1.0, duration=self._record_seconds()).start(self.progress)
        else:
            self._stop_animation()
            self.progress.opacity = 0
            hint = getattr(state, "hint_key", None)  # why the digits are asked again
            self._set(self.status_line, hint or "", theme.ERROR_TEXT)
        self._recording = bool(state.recording)

    # --- helpers ---------------------------------------------------------------------
    def _record_seconds(self) -> float:
        seconds = getattr(getattr(self.core, "settings", None), "voice_record_seconds", None)
        return float(seconds) if isinstance(seconds, (int, float)) else RECORD_SECONDS

    def _instruction_font(self, size):
        """Only on a change of stage: setting it undoes the shrink-to-fit of a long text."""
        if self.instruction.base_font_size != size:
            self.instruction.font_size = size

    def _show_digits(self, digits):
        if self.digits.text != (digits or ""):
            self.digits.text = digits or ""
        self.digits.height = DIGITS_H if digits else 0
        self.digits.opacity = 1 if digits else 0

    def _stop_animation(self):
        Animation.cancel_all(self.progress)

    @staticmethod
    def _set(label, key, colour=None, **kw):
        if colour is not None:
            label.color = colour
        if label.tr_key == key and label.tr_kw == kw:
            return
        label.tr_kw = kw
        label.tr_key = key or ""
        if not key:
            label.text = ""
