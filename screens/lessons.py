"""Lessons (教育学习): the person's assigned lessons, then the download of the chosen one."""
from screens import theme
from screens.base import KioskScreen
from screens.pickers import FetchedChoiceScreen
from screens.tasks import run_task
from screens.widgets import BigProgress, KLabel


class LessonsScreen(FetchedChoiceScreen):
    name = "lessons"
    title_key = "ui.lessons.title"
    prompt_key = "ui.lessons.prompt"
    empty_key = "ui.lessons.empty"

    def build_body(self):
        super().build_body()
        self.lessons = {}

    def fetch(self):
        # the centre's assigned lessons (FetchedChoiceScreen: never on the UI thread)
        return self.core.lessons()

    def pad_items(self, lessons):
        self.lessons = {lesson.id: lesson for lesson in lessons}
        return [(lesson.id, self.tr("ui.lessons.item", title=lesson.title,
                                    minutes=int(lesson.watched_seconds // 60)))
                for lesson in lessons]

    def chosen(self, lesson_id):
        self.app.state.lesson_id = lesson_id
        self.app.state.lesson_title = self.lessons[lesson_id].title
        self.app.state.lesson_watched_before = float(self.lessons[lesson_id].watched_seconds or 0)
        self.go("lesson_download")


class LessonDownloadScreen(KioskScreen):
    """`core.prepare_lesson` blocks while it downloads and verifies: show its progress."""

    name = "lesson_download"
    title_key = "ui.lesson_download.title"
    prompt_key = "ui.lesson_download.prompt"
    back_to = "lessons"

    def build_body(self):
        self.lesson_label = KLabel(font_size=theme.FONT_TITLE, kiosk_id="lesson_download.lesson")
        self.progress = BigProgress()
        self.message = KLabel(tr_key="ui.lesson_download.prompt", kiosk_id="lesson_download.message")
        for widget in (self.lesson_label, self.progress, self.message):
            self.body.add_widget(widget)
        self._attempt = 0

    def on_enter(self, *args):
        super().on_enter(*args)
        self._attempt += 1
        attempt, lesson_id = self._attempt, self.app.state.lesson_id
        self.progress.value = 0
        self.set_message(self.message, "ui.lesson_download.prompt", kind="info")

        def still_wanted():
            return attempt == self._attempt and self.manager and self.manager.current == self.name

        run_task(lambda report: self.core.prepare_lesson(lesson_id, report),
                 lambda path: still_wanted() and self._ready(path),
                 lambda key: still_wanted() and self.set_message(self.message, key),
                 progress=lambda value: still_wanted() and setattr(self.progress, "value", value),
                 name="prepare-lesson")

    def on_leave(self, *_):
        self._attempt += 1  # the download goes on in the core; its result is ignored

    def refresh(self):
        self.lesson_label.text = self.app.state.lesson_title or ""

    def _ready(self, path):
        self.progress.value = 1.0
        self.app.state.lesson_path = path
        self.go("lesson_player")
