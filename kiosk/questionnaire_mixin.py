"""The core's questionnaire side (心理测评): list, one question at a time, answer, submit.

Screens call these methods and never see a score. A critical answer calls staff at
once (``flows.questionnaires.alert_staff``) and the screens then show help information.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.errors import FlowError
from kiosk.flows import questionnaires as flow

# What the screens do after an answer.
NEXT, HELP, DONE = "next", "help", "done"


@dataclass(frozen=True)
class QuestionView:
    """One question as the screen shows and speaks it."""

    number: int  # 1-based
    count: int
    title: str
    instructions: str
    text: str
    choices: list[tuple[int, str]]  # (value, text)
    chosen: int | None


class QuestionnaireMixin:
    _qrun: flow.QuestionnaireRun | None = None

    def questionnaires(self) -> list[tuple[int, str]]:
        """The person's open questionnaires: (assignment id, title in the screen's language)."""
        person = self._require_person()
        flow.refresh(self._store(), self.client, person.id, self.settings.content_dir)
        return [(v.assignment_id, v.title(self.language))
                for v in flow.list_for(self._store(), person.id)]

    def start_questionnaire(self, assignment_id: int) -> None:
        person = self._require_person()
        self._qrun = flow.start(self._store(), person.id, assignment_id)

    def _run(self) -> flow.QuestionnaireRun:
        person = self._require_person()
        run = self._qrun
        if run is None or run.person_id != person.id:
            raise FlowError("questionnaire.error.not_started")
        return run

    def questionnaire_question(self) -> QuestionView:
        run = self._run()
        d, lang = run.definition, self.language
        q = d.questions[run.index]
        return QuestionView(run.index + 1, run.count, d.title.get(lang), d.instructions.get(lang),
                            q.text.get(lang), [(c.value, c.text.get(lang)) for c in d.choices_of(q)],
                            run.answers[run.index])

    def speak_question(self) -> None:
        """Read the question and its choices aloud (the stem too, on the first question)."""
        view = self.questionnaire_question()
        self.speak("questionnaire.say_question", number=view.number, count=view.count,
                   intro=view.instructions if view.number == 1 else "", text=view.text,
                   choices="、".join(text for _v, text in view.choices)
                   if self.language == "zh_CN" else ", ".join(t for _v, t in view.choices))

    def answer_question(self, value: int) -> str:
        """Record an answer: NEXT question, HELP (a critical answer: staff were called), or
        DONE (the questionnaire was recorded and queued for the centre)."""
        run = self._run()
        if run.submitted:
            return DONE
        question = run.definition.questions[run.index]
        if value not in {c.value for c in run.definition.choices_of(question)}:
            raise FlowError("questionnaire.error.choice")
        run.answers[run.index] = value
        critical = bool(run.definition.critical_at(run.index, value))
        if critical and not run.alerted:
            flow.alert_staff(self._store(), self.clock, run.person_id)
            run.alerted = True
        if run.index + 1 < run.count:
            run.index += 1
        else:
            flow.submit(self._store(), self.clock, run)
        self._poke()
        if critical:
            return HELP
        return DONE if run.submitted else NEXT

    def previous_question(self) -> bool:
        run = self._run()
        if run.index == 0 or run.submitted:
            return False
        run.index -= 1
        return True

    def questionnaire_finished(self) -> bool:
        return self._run().submitted

    def questionnaire_alerted(self) -> bool:
        """True when staff were called for a critical answer in this questionnaire."""
        run = self._qrun
        return bool(run and self.person is not None and run.person_id == self.person.id
                    and run.alerted)
