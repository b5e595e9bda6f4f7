"""The core's lesson-credit side: start a viewing, run the silent face checks, seek,
save, and the quiz. Mixed into ``KioskCore`` (no Kivy; the player screen calls these
from a worker thread every ``lesson_check_every_s`` seconds)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from kiosk.errors import FlowError
from kiosk.flows import lesson_study
from kiosk.lesson_credit import CreditPolicy, CreditRule, Decision, Seen
from server_api.contract import LessonQuiz

log = logging.getLogger(__name__)

# Save (local row + outbox row) at least this often while credit accrues.
SAVE_EVERY_S = 15.0


@dataclass(frozen=True)
class ViewingStart:
    start_s: float      # where the video begins (the saved position)
    furthest_s: float   # no seeking past this
    credited_s: float
    check_every_s: float
    has_quiz: bool


class _Viewing:
    def __init__(self, person_id: int, lesson_id: int, rule: CreditRule, check) -> None:
        self.person_id = person_id
        self.lesson_id = lesson_id
        self.rule = rule
        self.check = check
        self.saved_credit = rule.state.credited_s
        self.saved_at = 0.0
        self.position = 0.0
        self.lock = threading.Lock()


class LessonCreditMixin:
    """Needs ``_store()``, ``_require_person()``, ``clock``, ``pump``, ``_engine``, ``settings``."""

    _viewing: _Viewing | None = None

    def _credit_policy(self) -> CreditPolicy:
        return CreditPolicy(check_every_s=self.settings.lesson_check_every_s,
                            absent_checks_to_pause=self.settings.lesson_absent_checks_to_pause,
                            other_checks_to_pause=self.settings.lesson_other_checks_to_pause)

    def start_lesson_viewing(self, lesson_id: int) -> ViewingStart:
        """Begin crediting a lesson for the verified person; FlowError if not possible."""
        from kiosk import roster
        from kiosk.lesson_watch import FaceCheck

        person = self._require_person()
        templates = roster.face_templates(self._store()).get(person.id)
        if not templates:
            raise FlowError("lesson.error.no_face_template")
        record = lesson_study.load(self._store(), person.id, lesson_id)
        rule = CreditRule(self._credit_policy(), record.credited_s, record.furthest_s,
                          start_s=record.position_s)
        rule.start(self.clock.monotonic(), record.position_s)
        check = FaceCheck(self._engine, templates, self.settings.lesson_face_max_distance)
        viewing = _Viewing(person.id, lesson_id, rule, check)
        viewing.saved_at = self.clock.monotonic()
        viewing.position = record.position_s
        self._viewing = viewing
        return ViewingStart(record.position_s, record.furthest_s, record.credited_s,
                            self.settings.lesson_check_every_s,
                            lesson_study.quiz_for(self._store(), lesson_id) is not None)

    def lesson_face_check(self, media_s: float) -> Decision:
        """One silent check of the latest camera frame; the rule says play/pause/resume."""
        viewing = self._require_viewing()
        with viewing.lock:
            _, frame = self.pump.latest()
            result = viewing.check.check(frame)
            if result.seen is Seen.present:
                self.note_activity()  # watching is activity: no idle timeout meanwhile
            now = self.clock.monotonic()
            decision = viewing.rule.check(now, media_s, result.seen)
            viewing.position = decision.seek_to if decision.seek_to is not None else media_s
            log.debug("lesson check: %s in %.0f ms", result.seen.value, result.cost_s * 1000)
            if (decision.action.value != "play"
                    or viewing.rule.state.credited_s - viewing.saved_credit > 0
                    and now - viewing.saved_at >= SAVE_EVERY_S):
                self._save_viewing(viewing, now)
        if decision.reason is not None and decision.action.value == "pause":
            self.speak("lesson.check.absent" if decision.reason is Seen.absent
                       else "lesson.check.other")
        elif decision.action.value == "resume":
            self.speak("lesson.check.resumed")
        return decision

    def lesson_seek(self, target_s: float) -> float:
        """The no-skip rule: where a seek the person asked for may land."""
        viewing = self._require_viewing()
        with viewing.lock:
            landed = viewing.rule.seek(target_s)
            viewing.position = landed
            return landed

    def finish_lesson_viewing(self, media_s: float | None = None,
                              key: str | None = None) -> lesson_study.CreditRecord:
        """Save what was earned (leaving the player, end of the video, timeout); ``key``
        names the recorded event (the lesson receipt quotes it)."""
        viewing = self._require_viewing()
        with viewing.lock:
            if media_s is not None and not viewing.rule.state.paused:
                viewing.position = min(media_s, viewing.rule.state.furthest_s)
            record = self._save_viewing(viewing, self.clock.monotonic(), key)
        self._viewing = None
        return record

    def _save_viewing(self, viewing: _Viewing, now: float,
                      key: str | None = None) -> lesson_study.CreditRecord:
        state = viewing.rule.state
        record = lesson_study.save(self._store(), self.clock, viewing.person_id,
                                   viewing.lesson_id, state.credited_s, state.furthest_s,
                                   viewing.position, key)
        viewing.saved_credit, viewing.saved_at = state.credited_s, now
        self._poke()
        return record

    def _require_viewing(self) -> _Viewing:
        """The viewing of the person now at the terminal (never a previous person's)."""
        viewing = self._viewing
        if viewing is None or viewing.person_id != self._require_person().id:
            raise FlowError("lesson.error.not_started")
        return viewing

    def lesson_quiz(self, lesson_id: int) -> LessonQuiz | None:
        self._require_person()
        return lesson_study.quiz_for(self._store(), lesson_id)

    def submit_lesson_quiz(self, lesson_id: int, answers: list[int]) -> lesson_study.QuizResult:
        person = self._require_person()
        result = lesson_study.record_quiz(self._store(), self.clock, person.id, lesson_id,
                                          answers)
        self.speak("quiz.passed" if result.passed else "quiz.failed")
        self._poke()
        return result
