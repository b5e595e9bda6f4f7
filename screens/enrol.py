"""Intake under staff supervision: face enrolment, then a voice sample, then done."""
from kivy.animation import Animation
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.preview import CameraPreview
from screens.tasks import run_task
from screens.widgets import BigProgress, KButton, KLabel

FACE_FRAMES = 5
VOICE_SECONDS = 4.0


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
    name = "enrol_voice"
    title_key = "ui.enrol_voice.title"
    prompt_key = "ui.enrol_voice.prompt"
    start_key = "ui.enrol_voice.start"
    back_to = "enrol_face"

    def on_pre_enter(self, *args):
        self.start_button.tr_key = self.start_key
        super().on_pre_enter(*args)

    def start(self):
        self.busy("ui.enrol_voice.recording")
        self.app.speak("ui.enrol_voice.recording")
        Animation(value=1.0, duration=VOICE_SECONDS).start(self.progress)
        person = self.app.state.staff_person

        def work():
            clip = self.core.record_voice_sample(seconds=VOICE_SECONDS)
            Clock.schedule_once(lambda _dt: self._checking(), 0)
            self.core.enrol_voice(person.id, clip)

        run_task(work, lambda _r: self.succeeded("ui.enrol_voice.done"), self.failed,
                 name="enrol-voice")

    def _checking(self):
        if self.back_button.disabled:
            self.info.tr_key = "ui.enrol_voice.checking"

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
