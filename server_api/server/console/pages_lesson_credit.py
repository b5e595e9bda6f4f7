"""Learning time (学习时长) for staff: credited time per person and lesson, group
assignments (a centre, or one case type there) and the quiz after a lesson.

Scope: staff see and assign only their own centre's persons and groups (404/refusal as
if absent); reading the per-person list is audited (``lesson_credit_view``), every
change too. Quiz text format (one question per block, blank line between blocks):
first line the question, then one option per line, the right one starting with ``*``.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api import contract
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    RowId, admin_only, audit, centre_in_scope, checked_staff, flash, form_transaction, redirect,
    render, scoped, visible_centres,
)
from server_api.server.lesson_credit_models import (
    LessonCredit, LessonGroupAssignment, LessonQuizRow,
)
from server_api.server.models import Lesson, Person
from server_api.server.validation import FormError, has_control_characters, parse_id

router = APIRouter()
MAX_QUESTIONS = 20
MAX_OPTIONS = 6


def parse_quiz(text: str, pass_mark: str) -> contract.LessonQuiz:
    """The quiz typed by staff, or FormError with what is wrong."""
    if has_control_characters(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise FormError("error.quiz_format")
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks or len(blocks) > MAX_QUESTIONS:
        raise FormError("error.quiz_questions", most=MAX_QUESTIONS)
    questions = []
    for number, block in enumerate(blocks, 1):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        options = [line.lstrip("*").strip() for line in lines[1:]]
        right = [i for i, line in enumerate(lines[1:]) if line.startswith("*")]
        if (len(options) < 2 or len(options) > MAX_OPTIONS or len(right) != 1
                or not all(options) or len(lines[0]) > 200 or any(len(o) > 100 for o in options)):
            raise FormError("error.quiz_question", number=number, most=MAX_OPTIONS)
        questions.append(contract.QuizQuestion(text=lines[0], options=options, answer=right[0]))
    try:
        mark = int(pass_mark)
    except ValueError:
        raise FormError("error.quiz_pass_mark", most=len(questions)) from None
    if not 1 <= mark <= len(questions):
        raise FormError("error.quiz_pass_mark", most=len(questions))
    return contract.LessonQuiz(questions=questions, pass_mark=mark)


def quiz_text(quiz: contract.LessonQuiz) -> str:
    """The staff format of a stored quiz (to edit it again)."""
    return "\n\n".join("\n".join([q.text] + [("*" if i == q.answer else "") + o
                                             for i, o in enumerate(q.options)])
                       for q in quiz.questions)


def _page(request: Request, staff: StaffIdentity, status: int = 200,
          error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        credits = list(session.scalars(scoped(
            select(LessonCredit).join(Person, Person.id == LessonCredit.person_id)
            .options(selectinload(LessonCredit.person), selectinload(LessonCredit.lesson))
            .order_by(Person.name, Person.id, LessonCredit.lesson_id),
            Person.centre_id, staff)))
        groups = list(session.scalars(scoped(
            select(LessonGroupAssignment)
            .options(selectinload(LessonGroupAssignment.lesson),
                     selectinload(LessonGroupAssignment.centre))
            .order_by(LessonGroupAssignment.id), LessonGroupAssignment.centre_id, staff)))
        lessons = list(session.scalars(select(Lesson).order_by(Lesson.title, Lesson.id)))
        quizzes = {row.lesson_id: contract.LessonQuiz.model_validate_json(row.quiz_json)
                   for row in session.scalars(select(LessonQuizRow))}
        centres = visible_centres(session, staff)
        audit(session, staff, ctx.clock(), "lesson_credit_view", "lesson_credits",
              f"{len(credits)} rows")
        rows = [{"person": c.person.name, "person_id": c.person_id, "lesson": c.lesson.title,
                 "lesson_id": c.lesson_id, "credited_s": round(c.credited_seconds),
                 "credited_min": round(c.credited_seconds / 60, 1),
                 "furthest_s": round(c.furthest_seconds), "quiz_score": c.quiz_score,
                 "quiz_total": c.quiz_total, "quiz_passed": c.quiz_passed,
                 "updated_at": c.updated_at} for c in credits]
        group_rows = [{"id": g.id, "lesson": g.lesson.title, "centre": g.centre.name,
                       "case_type": g.case_type} for g in groups]
    return render(request, "lesson_credit.html", staff, status=status, error=error,
                  rows=rows, groups=group_rows, lessons=lessons, centres=centres,
                  case_types=[ct.value for ct in contract.CaseType],
                  quizzes={k: quiz_text(v) for k, v in quizzes.items()},
                  pass_marks={k: v.pass_mark for k, v in quizzes.items()})


@router.get("/lesson-credit")
def lesson_credit(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _page(request, staff)


@router.post("/lesson-credit/group")
def assign_group(request: Request, lesson_id: str = Form(""), centre_id: str = Form(""),
                 case_type: str = Form(""), staff: StaffIdentity = Depends(checked_staff)) -> Response:
    ctx = request.app.state.ctx
    try:
        lesson_no = parse_id(lesson_id, "error.lesson_required")
        centre_no = parse_id(centre_id, "error.centre_required")
        if case_type and case_type not in {ct.value for ct in contract.CaseType}:
            raise FormError("error.case_type")
        with form_transaction(ctx.db) as session:
            lesson = session.get(Lesson, lesson_no)
            centre = centre_in_scope(session, staff, centre_no)
            if lesson is None:
                raise FormError("error.lesson_required")
            if centre is None:
                raise FormError("error.centre_required")
            exists = session.scalar(select(LessonGroupAssignment.id).where(
                LessonGroupAssignment.lesson_id == lesson.id,
                LessonGroupAssignment.centre_id == centre.id,
                LessonGroupAssignment.case_type == case_type))
            if exists is None:
                session.add(LessonGroupAssignment(lesson_id=lesson.id, centre_id=centre.id,
                                                  case_type=case_type, assigned_by=staff.id,
                                                  assigned_at=ctx.clock()))
                audit(session, staff, ctx.clock(), "lesson_assign_group", f"lesson:{lesson.id}",
                      f"centre:{centre.id} case_type:{case_type or '*'}")
            title = lesson.title
    except FormError as exc:
        return _page(request, staff, 400, exc)
    flash(request, "notice.lesson_group_assigned", title=title)
    return redirect("/console/lesson-credit")


@router.post("/lesson-credit/group/{group_id}/remove")
def remove_group(request: Request, group_id: RowId,
                 staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Take a group assignment back (credit already earned stays)."""
    ctx = request.app.state.ctx
    with form_transaction(ctx.db) as session:
        group = session.get(LessonGroupAssignment, group_id)
        if group is None or centre_in_scope(session, staff, group.centre_id) is None:
            raise HTTPException(404)
        title = group.lesson.title
        audit(session, staff, ctx.clock(), "lesson_unassign_group", f"lesson:{group.lesson_id}",
              f"centre:{group.centre_id} case_type:{group.case_type or '*'}")
        session.delete(group)
    flash(request, "notice.lesson_group_removed", title=title)
    return redirect("/console/lesson-credit")


@router.post("/lesson-credit/quiz")
def save_quiz(request: Request, lesson_id: str = Form(""), quiz: str = Form(""),
              pass_mark: str = Form(""), staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """A lesson's quiz: lessons are one library for every centre, so only an
    administrator may change a quiz (centre staff would change it for all centres)."""
    admin_only(staff)
    ctx = request.app.state.ctx
    try:
        lesson_no = parse_id(lesson_id, "error.lesson_required")
        with form_transaction(ctx.db) as session:
            lesson = session.get(Lesson, lesson_no)
            if lesson is None:
                raise FormError("error.lesson_required")
            row = session.get(LessonQuizRow, lesson.id)
            if not quiz.strip():  # an empty text removes the quiz
                if row is not None:
                    session.delete(row)
                    audit(session, staff, ctx.clock(), "lesson_quiz_remove", f"lesson:{lesson.id}")
                title = lesson.title
            else:
                parsed = parse_quiz(quiz[:20000], pass_mark)
                if row is None:
                    row = LessonQuizRow(lesson_id=lesson.id, quiz_json="")
                    session.add(row)
                row.quiz_json = parsed.model_dump_json()
                row.updated_by, row.updated_at = staff.id, ctx.clock()
                audit(session, staff, ctx.clock(), "lesson_quiz_save", f"lesson:{lesson.id}",
                      f"{len(parsed.questions)} questions, pass {parsed.pass_mark}")
                title = lesson.title
    except FormError as exc:
        return _page(request, staff, 400, exc)
    flash(request, "notice.lesson_quiz_saved", title=title)
    return redirect("/console/lesson-credit")
