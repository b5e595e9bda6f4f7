"""FakeCore's lesson-credit side: the real rule (kiosk.lesson_credit), the camera image's
file stem as the face check (the identified person's stem: present; no image: absent;
any other: other), and a quiz for the first lesson.

Settings: ``lesson_check_every_s`` (default 1.0), ``lesson_seconds`` (length of the
prepared videos, default 12)."""
import time
from types import SimpleNamespace

from kiosk.lesson_credit import CreditPolicy, CreditRule, Seen
from server_api.contract import LessonQuiz, QuizQuestion

QUIZ = LessonQuiz(pass_mark=2, questions=[
    QuizQuestion(text="离开所居住的县要怎么做？", options=["先向司法所请假", "直接走，回来再说"], answer=0),
    QuizQuestion(text="可以请别人替自己学习吗？", options=["可以", "不可以，要本人学习"], answer=1),
])


class FakeLessonsMixin:
    def _lesson_seen(self):
        stem, _frame = self._camera_stem()
        if stem is None:
            return Seen.absent
        person = self.settings.get("people", {}).get(stem)
        if person is not None and self.person is not None and person["id"] == self.person.id:
            return Seen.present
        return Seen.other

    def start_lesson_viewing(self, lesson_id):
        before = next((l.watched_seconds for l in self.lessons() if l.id == lesson_id), 0)
        self._credit_rule = CreditRule(CreditPolicy(absent_checks_to_pause=1, other_checks_to_pause=1),
                                       credited_s=before, furthest_s=0.0)
        self._credit_rule.start(time.monotonic(), 0.0)
        self._credit_lesson = lesson_id
        self._log("start_lesson_viewing", lesson=lesson_id)
        return SimpleNamespace(start_s=0.0, furthest_s=0.0, credited_s=float(before),
                               check_every_s=float(self.settings.get("lesson_check_every_s", 1.0)),
                               has_quiz=lesson_id == "law")

    def lesson_face_check(self, media_s):
        seen = self._lesson_seen()
        decision = self._credit_rule.check(time.monotonic(), media_s, seen)
        if seen is Seen.present:
            self.note_activity()
        if decision.action.value == "pause":
            self.speak("lesson.check.absent" if seen is Seen.absent else "lesson.check.other")
        elif decision.action.value == "resume":
            self.speak("lesson.check.resumed")
        self._log("lesson_face_check", seen=seen.value, action=decision.action.value,
                  total=round(decision.total_s, 1))
        return decision

    def lesson_seek(self, target_s):
        return self._credit_rule.seek(target_s)

    def finish_lesson_viewing(self, media_s=None):
        state = self._credit_rule.state
        self._log("finish_lesson_viewing", lesson=self._credit_lesson,
                  credited=round(state.credited_s, 1), furthest=round(state.furthest_s, 1))
        return SimpleNamespace(credited_s=state.credited_s, furthest_s=state.furthest_s)

    def lesson_quiz(self, lesson_id):
        return QUIZ if lesson_id == "law" else None

    def submit_lesson_quiz(self, lesson_id, answers):
        from kiosk.flows.lesson_study import grade

        result = grade(QUIZ, answers)
        self.speak("quiz.passed" if result.passed else "quiz.failed")
        self._log("submit_lesson_quiz", lesson=lesson_id, score=result.score, passed=result.passed)
        return result
