"""心理测评: the assigned questionnaires, one question per screen read aloud, help, thanks.

No score is ever shown here. After a critical answer the core has already called staff;
the help screen says so and gives the national help line.
"""
import logging

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from screens import theme
from screens.base import KioskScreen
from screens.pickers import FetchedChoiceScreen
from screens.tasks import run_task
from screens.widgets import KButton, KLabel

log = logging.getLogger(__name__)

# core.answer_question outcomes (kiosk.questionnaire_mixin)
NEXT, HELP, DONE = "next", "help", "done"
QUESTION_FONT = 48  # long items (PHQ-9 item 8) take three lines at this size


class QuestionnairesScreen(FetchedChoiceScreen):
    name = "questionnaires"
    title_key = "ui.questionnaires.title"
    prompt_key = "ui.questionnaires.prompt"
    empty_key = "ui.questionnaires.empty"

    def fetch(self):
        # the centre's assignments (FetchedChoiceScreen: never on the UI thread)
        return self.core.questionnaires()

    def chosen(self, assignment_id):
        run_task(lambda: self.core.start_questionnaire(assignment_id),
                 lambda _r: self.go("questionnaire"), self.show_message, name="start-questionnaire")


class QuestionScreen(KioskScreen):
    """One question, its choices as four big buttons; the question is read aloud."""

    name = "questionnaire"
    title_key = "ui.questionnaire.progress"
    back_to = "questionnaires"

    def build_body(self):
        self.instructions = KLabel(font_size=theme.FONT_MIN, size_hint_y=None, height=90,
                                   color=theme.TEXT_MUTED, kiosk_id="questionnaire.instructions")
        self.question = KLabel(font_size=QUESTION_FONT, bold=True,
                               kiosk_id="questionnaire.question")
        self.choices = GridLayout(cols=4, spacing=theme.SPACING, size_hint_y=None,
                                  height=theme.BUTTON_H)
        for widget in (self.instructions, self.question, self.choices):
            self.body.add_widget(widget)
        self.back_button.tr_key = "ui.questionnaire.previous"
        self.repeat = KButton(tr_key="ui.questionnaire.repeat", style="secondary",
                              kiosk_id="questionnaire.repeat", size_hint_x=None, width=300,
                              on_release=lambda *_: self._speak())
        self.footer.add_widget(self.repeat)
        self._busy = False

    def refresh(self):
        try:
            view = self.core.questionnaire_question()
        except Exception:  # noqa: BLE001 - the session ended under us
            return
        self.title_label.tr_kw = {"number": view.number, "count": view.count}
        self.instructions.text = view.instructions
        self.question.text = view.text
        self.choices.clear_widgets()
        for value, text in view.choices:
            button = KButton(text=text, style="primary" if value == view.chosen else "choice",
                             value=value, kiosk_id=f"questionnaire.choice.{value}",
                             font_size=theme.FONT_BUTTON)
            button.bind(on_release=lambda b: self._answer(b.value))
            self.choices.add_widget(button)
        self._busy = False

    def on_enter(self, *args):
        super().on_enter(*args)
        self._speak()

    def _speak(self):
        try:
            self.core.speak_question()
        except Exception:  # noqa: BLE001 - a broken speaker must not break the screen
            log.exception("speaking the question failed")

    def go_back(self):
        if self.core.previous_question():
            self.refresh()
            self._speak()
        else:
            self.go("questionnaires")

    def _answer(self, value):
        if self._busy:  # one touch, one answer
            return
        self._busy = True
        run_task(lambda: self.core.answer_question(value), self._answered, self._failed,
                 name="answer-question")

    def _answered(self, outcome):
        if outcome == HELP:
            self.go("questionnaire_help")
        elif outcome == DONE:
            self.go("questionnaire_done")
        else:
            self.refresh()
            self._speak()

    def _failed(self, key, **params):
        self._busy = False
        self.app.speak(key, **params)


class QuestionnaireHelpScreen(KioskScreen):
    """After a critical answer: staff were called; the help line, big; never a score."""

    name = "questionnaire_help"
    title_key = "ui.questionnaire_help.title"
    prompt_key = "ui.questionnaire_help.say"
    back_to = None

    def build_body(self):
        self.staff = KLabel(tr_key="ui.questionnaire_help.staff", font_size=theme.FONT_TITLE,
                            kiosk_id="questionnaire_help.staff")
        self.hotline = KLabel(tr_key="ui.questionnaire_help.hotline", font_size=theme.FONT_HUGE,
                              bold=True, color=theme.CARD_BORDER,
                              kiosk_id="questionnaire_help.hotline")
        self.emergency = KLabel(tr_key="ui.questionnaire_help.emergency",
                                font_size=theme.FONT_BODY, size_hint_y=None, height=70,
                                kiosk_id="questionnaire_help.emergency")
        for widget in (self.staff, self.hotline, self.emergency):
            self.body.add_widget(widget)
        self.footer.add_widget(KButton(tr_key="ui.questionnaire_help.continue", style="primary",
                                       kiosk_id="questionnaire_help.continue",
                                       on_release=lambda *_: self._continue()))

    def _continue(self):
        done = False
        try:
            done = self.core.questionnaire_finished()
        except Exception:  # noqa: BLE001 - the session ended under us
            pass
        self.go("questionnaire_done" if done else "questionnaire")


class QuestionnaireDoneScreen(KioskScreen):
    name = "questionnaire_done"
    title_key = "ui.questionnaire_done.title"
    prompt_key = "ui.questionnaire_done.text"
    back_to = None

    def build_body(self):
        self.thanks = KLabel(tr_key="ui.questionnaire_done.text", font_size=theme.FONT_TITLE,
                             color=theme.SUCCESS_TEXT, kiosk_id="questionnaire_done.text")
        self.help_box = BoxLayout(orientation="vertical", size_hint_y=None, height=0)
        self.hotline = KLabel(tr_key="ui.questionnaire_help.hotline", font_size=theme.FONT_TITLE,
                              bold=True, color=theme.CARD_BORDER,
                              kiosk_id="questionnaire_done.hotline")
        self.body.add_widget(self.thanks)
        self.body.add_widget(self.help_box)
        self.footer.add_widget(KButton(tr_key="ui.nav.home", style="primary", kiosk_id="nav.home",
                                       on_release=lambda *_: self.go("menu")))

    def refresh(self):
        alerted = False
        try:
            alerted = self.core.questionnaire_alerted()
        except Exception:  # noqa: BLE001
            pass
        self.help_box.clear_widgets()
        self.help_box.height = theme.BUTTON_H if alerted else 0
        if alerted:  # the help line stays in view after a critical answer
            self.help_box.add_widget(self.hotline)
