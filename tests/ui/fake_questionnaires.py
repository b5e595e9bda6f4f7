"""FakeCore with the questionnaire side (心理测评), for the UI tests of those screens.

The questions, choices and critical items are those of the published definitions
(``content/questionnaires``) and the run is the core's own (``QuestionnaireMixin``);
only the store is left out: answers, submission and the staff call are logged to
``log_file`` instead of queued.
"""
from kiosk.errors import FlowError
from kiosk.flows.questionnaires import QuestionnaireRun, QuestionnaireView
from kiosk.questionnaire_mixin import DONE, HELP, NEXT, QuestionnaireMixin
from content.questionnaires.engine import Library
from tests.ui.fake_core import FakeCore

ASSIGNED = (("phq9", 1), ("gad7", 1))


class QuestionnaireFakeCore(QuestionnaireMixin, FakeCore):
    def _require_person(self):
        if self.person is None:
            raise FlowError("session.error.no_person")
        self.note_activity()
        return self.person

    def _views(self):
        library = Library()
        for number, (qid, version) in enumerate(ASSIGNED, start=1):
            d = library.get(qid, version).definition
            yield QuestionnaireView(number, qid, version, d.title.zh_CN, d.title.en), d

    def questionnaires(self):
        self._require_person()
        return [(v.assignment_id, v.title(self.language)) for v, _d in self._views()]

    def start_questionnaire(self, assignment_id):
        person = self._require_person()
        view, definition = next((v, d) for v, d in self._views() if v.assignment_id == assignment_id)
        self._qrun = QuestionnaireRun(person.id, view, definition)
        self._log("start_questionnaire", assignment=assignment_id)

    def answer_question(self, value):
        run = self._run()
        run.answers[run.index] = value
        critical = bool(run.definition.critical_at(run.index, value))
        self._log("answer", index=run.index, value=value)
        if critical and not run.alerted:
            run.alerted = True
            self._log("call_staff", screen="questionnaire_critical")
        if run.index + 1 < run.count:
            run.index += 1
        else:
            run.submitted = True
            self._log("submit_questionnaire", answers=run.answers)
        if critical:
            return HELP
        return DONE if run.submitted else NEXT
