"""Intake under staff supervision: face enrolment, then three voice samples, then done."""
from kivy.animation import Animation
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.preview import CameraPreview
from screens.tasks import call_safely, run_task
from screens.widgets import BigProgress, DigitRow, KButton, KLabel

FACE_FRAMES = 5
VOICE_SECONDS = 4.5  # one utterance: 8 digits read slowly
VOICE_UTTERANCES = 3
UTTERANCE_H = 64
VOICE_DIGITS_H = 130
VOICE_PROGRESS_H = 96


class _EnrolStep(KioskScreen):
    """Start button -> blocking core work in a thread with visible progress -> result."""

    back_to = "staff_roster"
    start_key = ""

    def build_body(self):
        self.row = BoxLayout(spacing=theme.SPACING * 2)
        self.side = BoxLayout(orientation="vertical", spacing=theme.SPACING)
        self.info = KLabel(tr_key=self.prompt_key, kiosk_id=f"{self.name}.info")
        self.progress = BigProgress(opacity=0)
        self.side.add_widget(self.info)
        self.side.add_widget(self.progress)
        self.row.add_widget(self.side)
        self.body.add_widget(self.row)
        self.start_button = KButton(tr_key=self.start_key, style="primary", bold=True,
                                    kiosk_id=f"{self.name}.start", on_release=lambda *_: self.start())
        self.next_button = KButton(tr_key="ui.nav.next", style="success", bold=True,
                                   kiosk_id=f"{self.name}.next", on_release=lambda *_: self.finish())

    def reset(self):
        person = self.app.state.staff_person
        self.info.tr_kw = {"name": person.display_name if person else ""}
        self.info.tr_key = self.prompt_key
        self.info.color = theme.TEXT
        self.progress.opacity = 0
        self._show_buttons(self.start_button)

    def _show_buttons(self, *buttons):
        self.footer.clear_widgets()
        self.footer.add_widget(self.back_button)
        self.back_button.disabled = False
        for button in buttons:
            button.disabled = False
            self.footer.add_widget(button)

    def busy(self, key):
        self.start_button.disabled = True
        self.back_button.disabled = True
        self.info.color = theme.TEXT
        self.info.tr_kw = {}
        self.info.tr_key = key
        self.progress.value = 0
        self.progress.opacity = 1

    def failed(self, key, **params):
        Animation.cancel_all(self.progress)
        self.progress.opacity = 0
        self.info.tr_kw = params
        self.info.tr_key = key
        self.info.color = theme.ERROR_TEXT
        self.start_button.tr_key = "ui.enrol.retry"
        self._show_buttons(self.start_button)
        self.app.speak(key, **params)

    def succeeded(self, key, **kw):
        Animation.cancel_all(self.progress)
        self.progress.value = 1
        self.info.tr_kw = kw
        self.info.tr_key = key
        self.info.color = theme.SUCCESS_TEXT
        self._show_buttons(self.next_button)

    def start(self):
        raise NotImplementedError

    def finish(self):
        raise NotImplementedError


class FaceEnrolScreen(_EnrolStep):
    name = "enrol_face"
    title_key = "ui.enrol_face.title"
    prompt_key = "ui.enrol_face.prompt"
    start_key = "ui.enrol_face.start"

    def build_body(self):
        super().build_body()
        self.preview = CameraPreview(size_hint_x=0.55)
        self.row.add_widget(self.preview, index=len(self.row.children))

    def on_pre_enter(self, *args):
        self.start_button.tr_key = self.start_key
        super().on_pre_enter(*args)
        self.preview.start(self.core.camera_frame)

    def on_leave(self, *_):
        self.preview.stop()

    def start(self):
        self.busy("ui.enrol_face.capturing")
        # capture_enrolment_frames reports no progress: the bar fills over a typical capture
        Animation(value=0.9, duration=FACE_FRAMES * 0.6).start(self.progress)
        person = self.app.state.staff_person

        def work():
            frames = self.core.capture_enrolment_frames(count=FACE_FRAMES)
            return self.core.enrol_face(person.id, frames)

        run_task(work, self._enrolled, self.failed, name="enrol-face")

    def _enrolled(self, templates):
        self.app.state.enrol_templates = templates
        self.succeeded("ui.enrol_face.done", count=templates)

    def finish(self):
        self.go("enrol_voice")


class VoiceEnrolScreen(_EnrolStep):
    """Three utterances of digits, one per tap of the start button, then the template.

    An unusable clip (too quiet, no speech...) shows the core's instruction and only that
    utterance is recorded again; the good ones are kept.
    """

    name = "enrol_voice"
    title_key = "ui.enrol_voice.title"
    prompt_key = "ui.enrol_voice.prompt"
    start_key = "ui.enrol_voice.start"
    back_to = "enrol_face"

    def build_body(self):
        super().build_body()
        self.side.spacing = theme.SPACING // 2
        self.progress.height = VOICE_PROGRESS_H
        self.utterance = KLabel(font_size=theme.FONT_BUTTON, bold=True, size_hint_y=None,
                                height=UTTERANCE_H, kiosk_id="enrol_voice.utterance")
        self.digits = DigitRow(size_hint_y=None, height=VOICE_DIGITS_H)
        self.side.add_widget(self.utterance, index=1)
        self.side.add_widget(self.digits, index=1)
        self.clips = []

    def reset(self):
        super().reset()
        self.info.font_size = theme.FONT_BODY
        self.clips = []
        self._next_utterance()

    def on_pre_enter(self, *args):
        self.start_button.tr_key = self.start_key
        super().on_pre_enter(*args)

    def _next_utterance(self):
        """Show the digits of the next utterance (new digits for each one)."""
        digits = call_safely(self.core.voice_enrolment_prompt, self.failed)
        self.digits.text = digits or ""
        self.utterance.tr_kw = {"n": len(self.clips) + 1, "total": VOICE_UTTERANCES}
        self.utterance.tr_key = "ui.enrol_voice.utterance"

    def start(self):
        self.busy("ui.enrol_voice.recording")
        self.app.speak("ui.enrol_voice.recording")
        Animation(value=1.0, duration=VOICE_SECONDS).start(self.progress)
        run_task(lambda: self.core.record_voice_sample(seconds=VOICE_SECONDS), self._recorded,
                 self.failed, name="enrol-voice-record")

    def _recorded(self, clip):
        Animation.cancel_all(self.progress)
        self.progress.opacity = 0
        self.clips.append(clip)
        if len(self.clips) < VOICE_UTTERANCES:
            self.info.tr_kw = {"n": len(self.clips)}
            self.info.tr_key = "ui.enrol_voice.recorded"
            self.info.color = theme.SUCCESS_TEXT
            self.start_button.tr_key = self.start_key
            self._show_buttons(self.start_button)
            self._next_utterance()
            return
        self.busy("ui.enrol_voice.checking")
        self.progress.opacity = 0
        self._clear_utterance()
        person = self.app.state.staff_person
        clips = list(self.clips)
        run_task(lambda: self.core.enrol_voice(person.id, clips),
                 lambda _r: self.succeeded("ui.enrol_voice.done"), self._enrol_failed,
                 name="enrol-voice")

    def _enrol_failed(self, key, **params):
        """No template from these clips: record all three again."""
        self.clips = []
        self._next_utterance()
        self.failed(key, **params)

    def succeeded(self, key, **kw):
        self._clear_utterance()
        super().succeeded(key, **kw)
        self.info.font_size = theme.FONT_TITLE
        self.progress.opacity = 0

    def _clear_utterance(self):
        self.utterance.tr_key = ""
        self.utterance.text = ""
        self.digits.text = ""

    def finish(self):
        self.go("enrol_done")


class EnrolDoneScreen(KioskScreen):
    name = "enrol_done"
    title_key = "ui.enrol_done.title"
    back_to = None

    def build_body(self):
        self.info = KLabel(tr_key="ui.enrol_done.summary", font_size=theme.FONT_TITLE,
                           color=theme.SUCCESS_TEXT, kiosk_id="enrol_done.summary")
        self.body.add_widget(self.info)
        self.footer.add_widget(KButton(tr_key="ui.enrol_done.menu", style="secondary",
                                       kiosk_id="enrol_done.menu",
                                       on_release=lambda *_: self.go("staff_menu")))
        self.footer.add_widget(Widget(size_hint_x=0.1))
        self.footer.add_widget(KButton(tr_key="ui.enrol_done.next_person", style="primary",
                                       kiosk_id="enrol_done.next", bold=True,
                                       on_release=lambda *_: self.go("staff_roster")))

    def reset(self):
        person = self.app.state.staff_person
        self.info.tr_kw = {"name": person.display_name if person else "",
                           "count": self.app.state.enrol_templates or 0}
