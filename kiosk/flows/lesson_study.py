"""Lesson credit on the terminal: credited time, furthest point, quiz — kept and sent.

Every save writes the local row and its ``lesson_credit`` outbox row in one transaction
(running totals, so the server keeps the largest and a lost or repeated event costs
nothing). Totals from the centre (another terminal) are merged in by the largest too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select

from kiosk import outbox
from kiosk.clock import Clock, naive_utc
from kiosk.errors import FlowError
from kiosk.store import Store
from kiosk.store.lesson_credit_models import CachedQuiz, LessonCredit
from kiosk.store.models import LessonProgress
from server_api.contract import EventKind, LessonInfo, LessonQuiz


@dataclass(frozen=True)
class CreditRecord:
    credited_s: float
    furthest_s: float
    position_s: float
    quiz_score: int | None = None
    quiz_total: int | None = None
    quiz_passed: bool | None = None


@dataclass(frozen=True)
class QuizResult:
    score: int
    total: int
    passed: bool


def merge_remote(session, person_id: int, infos: Sequence[LessonInfo]) -> None:
    """Inside ``lessons.refresh``: keep the quizzes and merge the centre's totals."""
    for info in infos:
        cached = session.get(CachedQuiz, info.id)
        if info.quiz is None:
            if cached is not None:
                session.delete(cached)
        elif cached is None:
            session.add(CachedQuiz(lesson_id=info.id, quiz_json=info.quiz.model_dump_json()))
        else:
            cached.quiz_json = info.quiz.model_dump_json()
        row = _row(session, person_id, info.id)
        row.credited_s = max(row.credited_s, info.credited_seconds)
        row.furthest_s = max(row.furthest_s, info.furthest_seconds)
        if info.quiz_passed and not row.quiz_passed:
            row.quiz_passed = True
        shown = session.get(LessonProgress, (person_id, info.id))
        if shown is not None:  # the list's "minutes learnt" is the credited time
            shown.watched_seconds = max(shown.watched_seconds or 0.0, row.credited_s)


def _row(session, person_id: int, lesson_id: int) -> LessonCredit:
    row = session.get(LessonCredit, (person_id, lesson_id))
    if row is None:
        row = LessonCredit(person_id=person_id, lesson_id=lesson_id, credited_s=0.0,
                           furthest_s=0.0, position_s=0.0)
        session.add(row)
    return row


def load(store: Store, person_id: int, lesson_id: int) -> CreditRecord:
    with store.session() as s:
        row = s.get(LessonCredit, (person_id, lesson_id))
        if row is None:
            return CreditRecord(0.0, 0.0, 0.0)
        return CreditRecord(row.credited_s, row.furthest_s, row.position_s,
                            row.quiz_score, row.quiz_total, row.quiz_passed)


def credits_for(store: Store, person_id: int) -> dict[int, CreditRecord]:
    with store.session() as s:
        rows = s.scalars(select(LessonCredit).where(LessonCredit.person_id == person_id))
        return {r.lesson_id: CreditRecord(r.credited_s, r.furthest_s, r.position_s,
                                          r.quiz_score, r.quiz_total, r.quiz_passed)
                for r in rows}


def _enqueue(session, clock: Clock, row: LessonCredit, key: str | None = None) -> None:
    payload = {"lesson_id": row.lesson_id, "credited_seconds": round(row.credited_s, 1),
               "furthest_seconds": round(row.furthest_s, 1),
               "position_seconds": round(row.position_s, 1)}
    if row.quiz_total is not None:
        payload.update(quiz_score=row.quiz_score, quiz_total=row.quiz_total,
                       quiz_passed=bool(row.quiz_passed))
    outbox.enqueue(session, key=key or outbox.new_key(), kind=EventKind.lesson_credit.value,
                   person_id=row.person_id, occurred_at=clock.now(), payload=payload)


def save(store: Store, clock: Clock, person_id: int, lesson_id: int, credited_s: float,
         furthest_s: float, position_s: float, key: str | None = None) -> CreditRecord:
    """Keep the largest totals and the current position; one outbox row, same transaction.

    ``key`` names the event (a lesson receipt quotes it); a new one by default."""
    with store.session() as s:
        row = _row(s, person_id, lesson_id)
        row.credited_s = max(row.credited_s, float(credited_s))
        row.furthest_s = max(row.furthest_s, float(furthest_s))
        row.position_s = max(0.0, min(float(position_s), row.furthest_s))
        row.updated_at = naive_utc(clock.now())
        _enqueue(s, clock, row, key)
        # the lesson list shows "minutes learnt": that is the credited time now
        shown = s.get(LessonProgress, (person_id, lesson_id))
        if shown is None:
            shown = LessonProgress(person_id=person_id, lesson_id=lesson_id, watched_seconds=0.0)
            s.add(shown)
        shown.watched_seconds = max(shown.watched_seconds or 0.0, row.credited_s)
        shown.position_seconds = row.position_s
        return CreditRecord(row.credited_s, row.furthest_s, row.position_s,
                            row.quiz_score, row.quiz_total, row.quiz_passed)


def quiz_for(store: Store, lesson_id: int) -> LessonQuiz | None:
    with store.session() as s:
        cached = s.get(CachedQuiz, lesson_id)
        return None if cached is None else LessonQuiz.model_validate_json(cached.quiz_json)


def grade(quiz: LessonQuiz, answers: Sequence[int]) -> QuizResult:
    """Right answers counted; passed with at least ``pass_mark`` of them."""
    if len(answers) != len(quiz.questions):
        raise FlowError("quiz.error.incomplete")
    score = sum(1 for q, a in zip(quiz.questions, answers) if a == q.answer)
    return QuizResult(score, len(quiz.questions), score >= quiz.pass_mark)


def record_quiz(store: Store, clock: Clock, person_id: int, lesson_id: int,
                answers: Sequence[int]) -> QuizResult:
    """Grade and keep the result (a pass is never undone by a later try)."""
    quiz = quiz_for(store, lesson_id)
    if quiz is None:
        raise FlowError("quiz.error.none")
    result = grade(quiz, answers)
    with store.session() as s:
        row = _row(s, person_id, lesson_id)
        if not row.quiz_passed or result.passed:
            row.quiz_score, row.quiz_total, row.quiz_passed = (result.score, result.total,
                                                               result.passed)
        row.updated_at = naive_utc(clock.now())
        _enqueue(s, clock, row)
    return result


