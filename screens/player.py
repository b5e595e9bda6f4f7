"""Lesson player: Kivy's Video widget. The core credits learning time from silent face
checks (one every few seconds, in a worker thread), pauses with a spoken prompt when the
person leaves or someone else sits down, and resumes when they return. Seeking back is
free (a "back 10 s" button); nothing plays past the furthest point already watched.
The rule itself lives in ``kiosk.lesson_credit``; this screen only renders it. At the end
of the video the core saves the credit and prints the lesson receipt."""
from kivy.clock import Clock
from kivy.uix.video import Video
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.tasks import call_safely, run_task
from screens.widgets import KButton, KLabel

TICK_SECONDS = 0.5
BACK_SECONDS = 10.0
# A jump ahead larger than this within one tick is a skip, not playback.
SKIP_TOLERANCE_S = 2.0


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
        self.credit = KLabel(tr_key="", size_hint_y=None, height=56, font_size=theme.FONT_BODY,
                             kiosk_id="player.credit")
        self.body.add_widget(self.video)
        self.body.add_widget(self.message)
        self.body.add_widget(self.credit)
        self.back_button.tr_key = "ui.player.stop"
        self.back_button.width = 360
        self.footer.add_widget(Widget())
        self.back10_button = KButton(tr_key="ui.player.back", size_hint_x=None, width=300,
                                     kiosk_id="player.back10", on_release=lambda *_: self.back10())
        self.pause_button = KButton(tr_key="ui.player.pause", style="primary", size_hint_x=None,
                                    width=360, kiosk_id="player.pause",
                                    on_release=lambda *_: self.toggle_pause())
        self.footer.add_widget(self.back10_button)
        self.footer.add_widget(self.pause_button)
        self._event = None
        self._reset_state()

    def _reset_state(self):
        self._viewing = None
        self._checking = False
        self._since_check = 0.0
        self._held = None          # why the face check paused the lesson
        self._pending_seek = None  # seconds; applied once the video knows its duration
        self._furthest = 0.0
        self._last_position = 0.0
        self._finished = False

    def reset(self):
        self._reset_state()
        self._hide_message()
        self.title_label.text = self.app.state.lesson_title or ""
        self.pause_button.tr_key = "ui.player.pause"
        self.pause_button.disabled = False
        self.set_message(self.credit)

    def on_enter(self, *args):
        super().on_enter(*args)
        lesson_id = self.app.state.lesson_id
        self.video.source = str(self.app.state.lesson_path)
        run_task(lambda: self.core.start_lesson_viewing(lesson_id), self._started, self._error,
                 name="lesson-start")

    def _started(self, viewing):
        if self.manager is None or self.manager.current != self.name:
            return
        self._viewing = viewing
        self._furthest = viewing.furthest_s
        self._last_position = viewing.start_s
        if viewing.start_s > 0:
            self._pending_seek = viewing.start_s
        self._show_credit(viewing.credited_s)
        self.video.state = "play"
        self._event = Clock.schedule_interval(self._tick, TICK_SECONDS)

    def on_pre_leave(self, *_):
        self._stop()

    def on_timeout(self):
        self._stop()

    def toggle_pause(self):
        if self._held is not None:
            return  # the face check holds the lesson; it resumes by itself
        playing = self.video.state == "play"
        self.video.state = "pause" if playing else "play"
        self.pause_button.tr_key = "ui.player.resume" if playing else "ui.player.pause"

    def back10(self):
        """Seeking back is always allowed (the core applies the no-skip rule)."""
        if self._viewing is None:
            return
        target = max(0.0, self.video.position - BACK_SECONDS)
        landed = call_safely(lambda: self.core.lesson_seek(target), self._error)
        if landed is not None:
            self._seek(landed)

    def _seek(self, seconds):
        if self.video.duration and self.video.duration > 0:
            self.video.seek(min(1.0, max(0.0, seconds / self.video.duration)), precise=True)
            self._last_position = seconds
            self._pending_seek = None
        else:
            self._pending_seek = seconds

    def _tick(self, dt):
        if self._pending_seek is not None:
            self._seek(self._pending_seek)
            return
        position = self.video.position
        if position > max(self._furthest, self._last_position) + SKIP_TOLERANCE_S:
            self._seek(max(self._furthest, self._last_position))  # no skipping ahead
            return
        if self.video.state == "play":
            self._furthest = max(self._furthest, position)
        self._last_position = position
        self._since_check += dt
        if (self._viewing is not None and not self._checking
                and self._since_check >= self._viewing.check_every_s):
            self._since_check = 0.0
            self._checking = True
            run_task(lambda: self.core.lesson_face_check(position), self._checked,
                     self._check_failed, name="lesson-check")

    def _checked(self, decision):
        self._checking = False
        if self._viewing is None:
            return
        action = decision.action.value
        if action == "pause":
            self.video.state = "pause"
            if decision.seek_to is not None:
                self._seek(decision.seek_to)
            self._held = decision.reason.value
            self.pause_button.disabled = True
            self.message.height = theme.BUTTON_H * 1.4
            self.set_message(self.message, f"ui.player.paused_{self._held}", kind="error")
        elif action == "resume" and self._held is not None:
            self._held = None
            self._hide_message()
            self.pause_button.disabled = False
            self.pause_button.tr_key = "ui.player.pause"
            if not self._finished:
                self.video.state = "play"
        self._show_credit(decision.total_s)

    def _check_failed(self, key, **params):
        self._checking = False
        self._error(key, **params)

    def _show_credit(self, total_s):
        total = int(total_s)
        self.set_message(self.credit, "ui.player.credited", kind="info",
                         minutes=total // 60, seconds=total % 60)

    def _hide_message(self):
        self.message.height = 0
        self.set_message(self.message)

    def _error(self, key, **params):
        self.message.height = 60
        self.set_message(self.message, key, **params)

    def _on_eos(self, _video, eos):
        if not eos or self._held is not None:
            return
        self._finished = True
        self.pause_button.disabled = True
        self.message.height = 60
        self.set_message(self.message, "ui.player.finished", kind="success")
        self.app.speak("ui.player.finished")
        if self._viewing is None:
            return
        end = self.video.duration or self._last_position
        self._checking = True  # one last check credits the stretch up to the end
        run_task(lambda: self.core.lesson_face_check(end), self._final_checked,
                 self._check_failed, name="lesson-check")

    def _final_checked(self, decision):
        self._checked(decision)
        if self._viewing is None or self._held is not None:
            return
        # Played to the end with the person there: save the credit and print the receipt
        # (the core ends the viewing; leaving the screen has nothing more to save).
        viewing, lesson_id = self._viewing, self.app.state.lesson_id
        self._viewing = None
        end = self.video.duration or self._last_position

        def printed(outcome):
            key = ("ui.player.finished_printed" if outcome.printed
                   else "ui.player.finished_not_printed")
            self.message.height = 120
            self.set_message(self.message, key, kind="success" if outcome.printed else "error")
            self.app.speak(outcome.message_key)
            if viewing.has_quiz:
                Clock.schedule_once(lambda _dt: self._to_quiz(), 2.0)

        run_task(lambda: self.core.complete_lesson(lesson_id, end), printed, self._error,
                 name="lesson-complete")

    def _to_quiz(self):
        if self.manager is not None and self.manager.current == self.name:
            self.go("lesson_quiz")

    def _stop(self):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if self._viewing is not None:
            position = self.video.duration if self._finished else self.video.position
            call_safely(lambda: self.core.finish_lesson_viewing(position), self._error)
            self._viewing = None
        self.video.state = "stop"
        self.video.unload()
