"""Lessons (教育学习): upload a video, assign it to persons.

Lessons are a shared library (content is not personal data); assignments are scoped:
staff only see and assign persons of their own centre. An upload is accepted only if it
is a playable video (``media.probe_video``); anything else is refused with a message.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.content_api import publish_content
from server_api.server.console.common import (
    RowId, audit, checked_staff, flash, form_transaction, person_in_scope, redirect, render,
    scoped,
)
from server_api.server.media import VideoInfo, probe_video
from server_api.server.biometrics import active_persons
from server_api.server.models import Lesson, LessonAssignment, Person
from server_api.server.storage import StorageError
from server_api.server.validation import (
    FormError, has_control_characters, parse_id, required_text,
)

router = APIRouter()


def _lessons_page(request: Request, staff: StaffIdentity, status: int = 200,
                  error: FormError | None = None, title: str = "") -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        lessons = list(session.scalars(select(Lesson).order_by(Lesson.created_at.desc(),
                                                                Lesson.id.desc())))
        assignments = session.scalars(scoped(
            select(LessonAssignment).join(Person, Person.id == LessonAssignment.person_id)
            .options(selectinload(LessonAssignment.person)).order_by(LessonAssignment.id),
            Person.centre_id, staff))
        assigned: dict[int, list[Person]] = {}
        for row in assignments:
            assigned.setdefault(row.lesson_id, []).append(row.person)
        persons = list(session.scalars(scoped(select(Person).where(active_persons())
                                              .order_by(Person.name, Person.id),
                                              Person.centre_id, staff)))
    return render(request, "lessons.html", staff, status=status, error=error, title=title,
                  lessons=lessons, assigned=assigned, persons=persons)


@router.get("/lessons")
def lessons(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _lessons_page(request, staff)


def _receive_video(ctx, file: UploadFile | None) -> tuple[str, VideoInfo, str, int, bool]:
    """Check an upload is a playable video and put it in the library.

    Returns (relative path, video info, sha256, size, whether the file is new); the same
    video uploaded twice is kept once.
    """
    if file is None or not file.filename:
        raise FormError("error.lesson_file_required")
    try:
        tmp, sha256, size = ctx.storage.receive(file.file, ctx.settings.max_lesson_bytes)
    except StorageError:
        raise FormError("error.lesson_too_large") from None
    try:
        info = probe_video(tmp)
        relative = f"lessons/{sha256}.{info.extension}"
        if ctx.storage.resolve(relative).is_file():
            return relative, info, sha256, size, False
        ctx.storage.adopt(tmp, relative)
        return relative, info, sha256, size, True
    finally:
        tmp.unlink(missing_ok=True)


@router.post("/lessons")
def upload_lesson(request: Request, title: str = Form(""), file: UploadFile | None = File(None),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    ctx = request.app.state.ctx
    try:
        title = required_text(title, "error.lesson_title_required", 200)
        relative, info, sha256, size, is_new = _receive_video(ctx, file)
        filename = "".join(c for c in file.filename if not has_control_characters(c))[:255]
        try:
            with form_transaction(ctx.db) as session:
                lesson = Lesson(title=title, filename=filename, path=relative,
                                media_type=info.media_type, sha256=sha256, size=size,
                                duration_s=info.duration_s, uploaded_by=staff.id,
                                created_at=ctx.clock())
                session.add(lesson)
                session.flush()
                audit(session, staff, ctx.clock(), "lesson_upload", f"lesson:{lesson.id}", title)
        except BaseException:
            if is_new:
                ctx.storage.delete(relative)
            raise
    except FormError as exc:
        return _lessons_page(request, staff, 400, exc, title)
    publish_content(ctx)  # terminals verify and fetch the new lesson (TUF)
    flash(request, "notice.lesson_uploaded", title=title)
    return redirect("/console/lessons", created=lesson.id)


@router.post("/lessons/{lesson_id}/assign")
def assign_lesson(request: Request, lesson_id: RowId, person_id: str = Form(""),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    ctx = request.app.state.ctx
    try:
        wanted = parse_id(person_id, "error.person_required")
        with form_transaction(ctx.db) as session:
            lesson = session.get(Lesson, lesson_id)
            if lesson is None:
                raise HTTPException(404)
            person = person_in_scope(session, staff, wanted)
            if person is None or person.removed:
                raise FormError("error.person_unknown")
            exists = session.scalar(select(LessonAssignment.id).where(
                LessonAssignment.lesson_id == lesson.id, LessonAssignment.person_id == person.id))
            if exists is None:
                session.add(LessonAssignment(lesson_id=lesson.id, person_id=person.id,
                                             assigned_by=staff.id, assigned_at=ctx.clock()))
                audit(session, staff, ctx.clock(), "lesson_assign", f"lesson:{lesson.id}",
                      f"person:{person.id}")
            names = {"title": lesson.title, "name": person.name}
    except FormError as exc:
        return _lessons_page(request, staff, 400, exc)
    flash(request, "notice.lesson_already_assigned" if exists else "notice.lesson_assigned",
          **names)
    return redirect("/console/lessons")
