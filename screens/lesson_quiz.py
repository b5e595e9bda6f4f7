"""The short quiz after a lesson: one question per screen, big answer buttons, spoken
result. Grading and keeping the result is the core's (``submit_lesson_quiz``)."""
from screens import theme
from screens.base import KioskScreen
from screens.tasks import run_task
from screens.widgets import ChoicePad, KButton, KLabel


class LessonQuizScreen(KioskScreen):
    name = "lesson_quiz"
    title_key = "ui.quiz.title"
    prompt_key = "ui.quiz.prompt"
    back_to = "lessons"

    def build_body(self):
        self.question = KLabel(font_size=theme.FONT_TITLE, size_hint_y=None,
                               height=theme.BUTTON_H * 0.8, kiosk_id="quiz.question")
        self.pad = ChoicePad(cols=1, per_page=2, id_prefix="quiz", chosen_callback=self.chosen)
        self.result = KLabel(tr_key="", size_hint_y=None, height=0, kiosk_id="quiz.result")
        for widget in (self.question, self.pad, self.result):
            self.body.add_widget(widget)
        self.again_button = KButton(tr_key="ui.quiz.again", size_hint_x=None, width=320,
                                    kiosk_id="quiz.again", on_release=lambda *_: self.start())
        self.done_button = KButton(tr_key="ui.quiz.done", style="primary", size_hint_x=None,
                                   width=320, kiosk_id="quiz.done",
                                   on_release=lambda *_: self.go("lessons"))
        self.footer.add_widget(self.pad.pager)
        self.footer.add_widget(self.again_button)
        self.footer.add_widget(self.done_button)
        self.quiz = None
        self.answers = []

    def reset(self):
        self.quiz = None
        self.answers = []

    def refresh(self):
        lesson_id = self.app.state.lesson_id
        run_task(lambda: self.core.lesson_quiz(lesson_id), self._loaded, self._error,
                 name="lesson-quiz")

    def _loaded(self, quiz):
        self.quiz = quiz
        self.start()

    def start(self):
        self.answers = []
        self.result.height = 0
        self.set_message(self.result)
        self._show_buttons(False)
        self._show_question()

    def _show_buttons(self, finished):
        for button, visible in ((self.again_button, finished), (self.done_button, finished)):
            button.opacity = 1 if visible else 0
            button.disabled = not visible

    def _show_question(self):
        if not self.quiz:
            return
        number = len(self.answers)
        question = self.quiz.questions[number]
        # the title counts the questions: "第 1 题，共 2 题"
        self.title_label.tr_kw = {"number": number + 1, "total": len(self.quiz.questions)}
        self.title_label.tr_key = "ui.quiz.progress"
        self.question.text = question.text
        self.pad.page = 0
        self.pad.per_page = min(3, max(2, len(question.options)))
        self.pad.items = [(i, option) for i, option in enumerate(question.options)]

    def chosen(self, option):
        if not self.quiz or len(self.answers) >= len(self.quiz.questions):
            return
        self.answers.append(int(option))
        if len(self.answers) < len(self.quiz.questions):
            self._show_question()
            return
        lesson_id, answers = self.app.state.lesson_id, list(self.answers)
        self.pad.items = []
        run_task(lambda: self.core.submit_lesson_quiz(lesson_id, answers), self._graded,
                 self._error, name="lesson-quiz-submit")

    def _graded(self, result):
        self.title_label.tr_kw = {}
        self.title_label.tr_key = "ui.quiz.title"
        self.question.text = self.tr("ui.quiz.result", score=result.score, total=result.total)
        self.result.height = theme.BUTTON_H * 1.2
        self.set_message(self.result, "ui.quiz.passed" if result.passed else "ui.quiz.failed",
                         kind="success" if result.passed else "info")
        self._show_buttons(True)
        self.again_button.opacity = 0 if result.passed else 1
        self.again_button.disabled = result.passed

    def _error(self, key, **params):
        self.result.height = theme.BUTTON_H
        self.set_message(self.result, key, **params)
