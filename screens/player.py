"""Lesson player: Kivy's Video widget; progress goes to the core every few seconds and
whenever the screen is left (back, end of video, session timeout). At the end of the
video the core records the lesson as completed and prints its receipt."""
from kivy.clock import Clock
from kivy.uix.video import Video
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.tasks import call_safely, run_task
from screens.widgets import KButton, KLabel

TICK_SECONDS = 1.0
REPORT_EVERY_SECONDS = 5.0


class LessonPlayerScreen(KioskScreen):
    name = "lesson_player"
    title_key = ""
    back_to = "lessons"

    def build_body(self):
        self.title_label.font_size = theme.FONT_BODY
        self.title_label.height = theme.TITLE_H * 0.7
        self.video = Video(state="stop", fit_mode="contain", size_hint_y=1)
        self.video.bind(eos=self._on_eos)
        self.message = KLabel(tr_key="", size_hint_y=None, height=0, kiosk_id="player.message")
        self.body.add_widget(self.video)
        self.body.add_widget(self.message)
        self.back_button.tr_key = "ui.player.stop"
        self.back_button.width = 360
        self.footer.add_widget(Widget())
        self.pause_button = KButton(tr_key="ui.player.pause", style="primary", size_hint_x=None,
                                    width=360, kiosk_id="player.pause",
                                    on_release=lambda *_: self.toggle_pause())
        self.footer.add_widget(self.pause_button)
        self._event = None
        self._watched = 0.0
        self._last_position = 0.0
        self._since_report = 0.0
        self._last_report = None

    def reset(self):
        self._watched = 0.0
        self._last_position = 0.0
        self._since_report = 0.0
        self._last_report = None
        self.message.height = 0
        self.set_message(self.message)
        self.title_label.text = self.app.state.lesson_title or ""
        self.pause_button.tr_key = "ui.player.pause"
        self.pause_button.disabled = False

    def on_enter(self, *args):
        super().on_enter(*args)
        self.video.source = str(self.app.state.lesson_path)
        self.video.state = "play"
        self._event = Clock.schedule_interval(self._tick, TICK_SECONDS)

    def on_pre_leave(self, *_):
        self._stop()

    def on_timeout(self):
        self._stop()

    def toggle_pause(self):
        playing = self.video.state == "play"
        self.video.state = "pause" if playing else "play"
        self.pause_button.tr_key = "ui.player.resume" if playing else "ui.player.pause"

    def _tick(self, dt):
        position = self.video.position
        if self.video.state == "play" and position > self._last_position:
            # count real playback only (not seeks), at most a little more than the tick
            self._watched += min(position - self._last_position, dt * 1.5)
        self._last_position = max(self._last_position, position)
        self._since_report += dt
        if self._since_report >= REPORT_EVERY_SECONDS:
            self._report()

    def _report(self):
        self._since_report = 0.0
        state = self.app.state
        if state.lesson_id is not None:
            # the core keeps the largest total it is told, so send the running total
            total = state.lesson_watched_before + self._watched
            report = (round(total, 1), round(self._last_position, 1))
            if report == self._last_report:  # paused or finished: nothing new, and no
                return                       # report, so the inactivity timeout still runs
            self._last_report = report
            call_safely(lambda: self.core.record_lesson_progress(
                state.lesson_id, total, self._last_position), self._error)

    def _error(self, key, **params):
        self.message.height = 60
        self.set_message(self.message, key, **params)

    def _on_eos(self, _video, eos):
        if eos:
            self.pause_button.disabled = True
            self.message.height = 60
            self.set_message(self.message, "ui.player.finished", kind="success")
            self.app.speak("ui.player.finished")
            self._complete()

    def _complete(self):
        """Record the whole lesson's time (like a report) and print its receipt."""
        state = self.app.state
        if state.lesson_id is None:
            return
        total = state.lesson_watched_before + self._watched
        position = self._last_position
        self._last_report = (round(total, 1), round(position, 1))  # no second report of it
        self._since_report = 0.0
        lesson_id = state.lesson_id

        def done(outcome):
            key = ("ui.player.finished_printed" if outcome.printed
                   else "ui.player.finished_not_printed")
            self.message.height = 120
            self.set_message(self.message, key, kind="success" if outcome.printed else "error")
            self.app.speak(outcome.message_key)

        run_task(lambda: self.core.complete_lesson(lesson_id, total, position), done,
                 self._error, name="lesson-complete")

    def _stop(self):
        if self._event is None:
            return
        self._event.cancel()
        self._event = None
        self._tick(0)
        self._report()
        self.video.state = "stop"
        self.video.unload()
