"""Which lessons a person has (own menu + group), their quiz, and the credited time.

Assignment model (DOMAIN.md art. 36, education tailored to the person):
* per person (菜单式): ``lesson_assignments``, chosen by staff for one person;
* per group: ``lesson_group_assignments``, every active person of one centre, or of one
  case type (管制/缓刑/假释/暂予监外执行) in that centre; persons who join later get it too.
A person's lessons are the union of both. Credit arrives as ``lesson_credit`` events
(running totals; the largest is kept, so repeats and late events are harmless).
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server_api import contract
from server_api.server.lesson_credit_models import (
    LessonCredit, LessonGroupAssignment, LessonQuizRow,
)
from server_api.server.models import Lesson, LessonAssignment, LessonProgress, Person


def assigned_lesson_ids(person: Person):
    """A select of the lesson ids assigned to ``person`` (own and group)."""
    own = select(LessonAssignment.lesson_id).where(LessonAssignment.person_id == person.id)
    group = select(LessonGroupAssignment.lesson_id).where(
        LessonGroupAssignment.centre_id == person.centre_id,
        or_(LessonGroupAssignment.case_type == "",
            LessonGroupAssignment.case_type == person.case_type))
    return own.union(group)


def is_assigned(session: Session, lesson_id: int, person_id: int) -> bool:
    person = session.get(Person, person_id)
    if person is None:
        return False
    return lesson_id in set(session.scalars(assigned_lesson_ids(person)))


def has_credit(session: Session, lesson_id: int, person_id: int) -> bool:
    """The person already earned time on this lesson (kept after an assignment ends)."""
    return session.scalar(select(LessonCredit.person_id).where(
        LessonCredit.lesson_id == lesson_id, LessonCredit.person_id == person_id)) is not None


def lesson_in_centre(session: Session, lesson_id: int, centre_id: int) -> Lesson | None:
    """The lesson, if someone of the centre has it (own or group assignment)."""
    own = session.scalar(
        select(Lesson).join(LessonAssignment, LessonAssignment.lesson_id == Lesson.id)
        .join(Person, Person.id == LessonAssignment.person_id)
        .where(Lesson.id == lesson_id, Person.centre_id == centre_id).limit(1))
    if own is not None:
        return own
    return session.scalar(
        select(Lesson).join(LessonGroupAssignment, LessonGroupAssignment.lesson_id == Lesson.id)
        .where(Lesson.id == lesson_id, LessonGroupAssignment.centre_id == centre_id).limit(1))


def quiz_of(session: Session, lesson_id: int) -> contract.LessonQuiz | None:
    row = session.get(LessonQuizRow, lesson_id)
    return None if row is None else contract.LessonQuiz.model_validate_json(row.quiz_json)


def lessons_for(session: Session, person: Person) -> list[contract.LessonInfo]:
    """The person's lessons as the terminal gets them, with time and quiz so far."""
    ids = set(session.scalars(assigned_lesson_ids(person)))
    if not ids:
        return []
    lessons = session.scalars(select(Lesson).where(Lesson.id.in_(ids))
                              .order_by(Lesson.created_at, Lesson.id))
    watched = dict(session.execute(select(LessonProgress.lesson_id, LessonProgress.watched_seconds)
                                   .where(LessonProgress.person_id == person.id)).all())
    credits = {c.lesson_id: c for c in session.scalars(
        select(LessonCredit).where(LessonCredit.person_id == person.id))}
    out = []
    for lesson in lessons:
        credit = credits.get(lesson.id)
        out.append(contract.LessonInfo(
            id=lesson.id, title=lesson.title, sha256=lesson.sha256, size=lesson.size,
            watched_seconds=watched.get(lesson.id) or 0.0,
            credited_seconds=credit.credited_seconds if credit else 0.0,
            furthest_seconds=credit.furthest_seconds if credit else 0.0,
            quiz=quiz_of(session, lesson.id),
            quiz_passed=credit.quiz_passed if credit else None))
    return out


def store_credit(session: Session, person_id: int, payload, now) -> None:
    """Merge a ``lesson_credit`` event: largest totals; a pass is never undone."""
    row = session.scalar(select(LessonCredit).where(LessonCredit.lesson_id == payload.lesson_id,
                                                    LessonCredit.person_id == person_id))
    if row is None:
        row = LessonCredit(lesson_id=payload.lesson_id, person_id=person_id,
                           credited_seconds=0.0, furthest_seconds=0.0, position_seconds=0.0)
        session.add(row)
    row.credited_seconds = max(row.credited_seconds, payload.credited_seconds)
    row.furthest_seconds = max(row.furthest_seconds, payload.furthest_seconds)
    row.position_seconds = payload.position_seconds
    if payload.quiz_total is not None and (not row.quiz_passed or payload.quiz_passed):
        row.quiz_score, row.quiz_total = payload.quiz_score, payload.quiz_total
        row.quiz_passed = bool(payload.quiz_passed)
    row.updated_at = now
