"""Verification failures (身份核验异常): failed identity checks for staff to review.

A genuine person must never be trapped without a human route: every failed check a
terminal records is listed here, open ones first. Staff may confirm that an attempt was
the genuine person, which adds its face encoding to the person's templates (so the
terminals receive it with the next roster sync), or dismiss it. A failure belongs to its
terminal's centre, also when nobody was proposed; staff of another centre get 404.
Looking at a failure's snapshot and exporting the list are reads of personal data and
are written to the audit log.
"""
from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException

from server_api.names import mask_name
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    SECURITY_HEADERS, RowId, audit, centre_in_scope, checked_staff, flash, form_transaction,
    language, redirect, render, scoped,
)
from server_api.server.i18n import translator
from server_api.server.models import (
    REVIEW_CONFIRMED, REVIEW_DISMISSED, REVIEW_OPEN, TEMPLATE_STAFF_CONFIRMED, FaceTemplate,
    Terminal, VerificationFailure,
)
from server_api.server.validation import FormError, optional_text

router = APIRouter()
LIST_OPEN = 500
LIST_REVIEWED = 100
MAX_NOTE = 1000
# Templates a person keeps at most: the oldest staff-confirmed ones make room for a new
# one; enrolment templates are never dropped (and the new one is always kept).
MAX_FACE_TEMPLATES = 10
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _base_query():
    return (select(VerificationFailure)
            .join(Terminal, Terminal.id == VerificationFailure.terminal_id)
            .options(selectinload(VerificationFailure.terminal).selectinload(Terminal.centre),
                     selectinload(VerificationFailure.person),
                     selectinload(VerificationFailure.reviewer)))


def open_count(session: Session, staff: StaffIdentity) -> int:
    """Open failures from the terminals of the staff member's scope (for the dashboard)."""
    stmt = (select(func.count(VerificationFailure.id))
            .join(Terminal, Terminal.id == VerificationFailure.terminal_id)
            .where(VerificationFailure.review_status == REVIEW_OPEN))
    return session.scalar(scoped(stmt, Terminal.centre_id, staff)) or 0


def _failure_in_scope(session: Session, staff: StaffIdentity,
                      failure_id: int) -> VerificationFailure:
    failure = session.get(VerificationFailure, failure_id)
    if failure is None or centre_in_scope(session, staff, failure.terminal.centre_id) is None:
        raise HTTPException(404)
    return failure


def _verifications_page(request: Request, staff: StaffIdentity, status: int = 200,
                        error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        base = _base_query()
        open_failures = list(session.scalars(scoped(
            base.where(VerificationFailure.review_status == REVIEW_OPEN)
            .order_by(VerificationFailure.occurred_at.desc(), VerificationFailure.id.desc())
            .limit(LIST_OPEN), Terminal.centre_id, staff)))
        reviewed = list(session.scalars(scoped(
            base.where(VerificationFailure.review_status != REVIEW_OPEN)
            .order_by(VerificationFailure.reviewed_at.desc(), VerificationFailure.id.desc())
            .limit(LIST_REVIEWED), Terminal.centre_id, staff)))
        total_open = open_count(session, staff)
    return render(request, "verifications.html", staff, status=status, error=error,
                  open_failures=open_failures, reviewed=reviewed, total_open=total_open,
                  max_note=MAX_NOTE)


@router.get("/verifications")
def verifications(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _verifications_page(request, staff)


def add_confirmed_template(session: Session, person_id: int, encoding_json: str,
                           at) -> tuple[FaceTemplate, list[int]]:
    """Append a staff-confirmed template; drop the oldest other staff-confirmed ones while
    the person has more than ``MAX_FACE_TEMPLATES``. Returns (new template, dropped ids)."""
    template = FaceTemplate(person_id=person_id, encoding_json=encoding_json, created_at=at,
                            source=TEMPLATE_STAFF_CONFIRMED)
    session.add(template)
    session.flush()
    total = session.scalar(select(func.count(FaceTemplate.id))
                           .where(FaceTemplate.person_id == person_id))
    excess = total - MAX_FACE_TEMPLATES
    dropped: list[int] = []
    if excess > 0:
        oldest = session.scalars(
            select(FaceTemplate).where(FaceTemplate.person_id == person_id,
                                       FaceTemplate.source == TEMPLATE_STAFF_CONFIRMED,
                                       FaceTemplate.id != template.id)
            .order_by(FaceTemplate.created_at, FaceTemplate.id).limit(excess))
        for old in oldest:
            dropped.append(old.id)
            session.delete(old)
    return template, dropped


@router.post("/verifications/{failure_id}/review")
def review(request: Request, failure_id: RowId, decision: str = Form(""),
           note: str = Form(""), staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Confirm a failure was the genuine person (adds its face sample) or dismiss it.

    Of two staff reviewing at once only the first counts (conditional update); the other
    is told, politely, that it was already reviewed.
    """
    ctx = request.app.state.ctx
    try:
        if decision not in ("genuine", "dismiss"):
            raise FormError("error.verification_decision_required")
        note = optional_text(note, MAX_NOTE)
        genuine = decision == "genuine"
        with form_transaction(ctx.db) as session:
            failure = _failure_in_scope(session, staff, failure_id)
            if failure.review_status != REVIEW_OPEN:
                raise FormError("error.verification_reviewed")
            if genuine and (failure.person_id is None or failure.face_encoding_json is None):
                raise FormError("error.verification_cannot_confirm")
            now = ctx.clock()
            done = session.execute(
                update(VerificationFailure)
                .where(VerificationFailure.id == failure.id,
                       VerificationFailure.review_status == REVIEW_OPEN)
                .values(review_status=REVIEW_CONFIRMED if genuine else REVIEW_DISMISSED,
                        reviewed_at=now, reviewed_by=staff.id, review_note=note)
                .execution_options(synchronize_session=False)).rowcount == 1
            if not done:
                raise FormError("error.verification_reviewed")
            target = f"verification_failure:{failure.id}"
            person = f"person:{failure.person_id}" if failure.person_id else "person:none"
            if genuine:
                template, dropped = add_confirmed_template(
                    session, failure.person_id, failure.face_encoding_json, now)
                detail = f"{person} template:{template.id}"
                if dropped:
                    detail += " dropped:" + ",".join(str(i) for i in dropped)
                audit(session, staff, now, "verification_confirm", target, detail)
            else:
                audit(session, staff, now, "verification_dismiss", target, person)
            terminal_name = failure.terminal.name
    except FormError as exc:
        return _verifications_page(
            request, staff, 409 if exc.key == "error.verification_reviewed" else 400, exc)
    flash(request, "notice.verification_confirmed" if genuine else "notice.verification_dismissed",
          terminal=terminal_name)
    return redirect("/console/verifications")


@router.get("/verifications/{failure_id}/snapshot")
def snapshot(request: Request, failure_id: RowId,
             staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The photo of a failed check, for staff of the terminal's centre only (audited)."""
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        failure = _failure_in_scope(session, staff, failure_id)
        if failure.snapshot_path is None:
            raise HTTPException(404)
        path = ctx.storage.resolve(failure.snapshot_path)
        if not path.is_file():
            raise HTTPException(404)
        audit(session, staff, ctx.clock(), "verification_snapshot_view",
              f"verification_failure:{failure.id}",
              f"person:{failure.person_id}" if failure.person_id else "person:none")
    return FileResponse(path, media_type="image/jpeg", headers=SECURITY_HEADERS)


def _csv_text(value: str) -> str:
    """A text cell Excel will not run as a formula."""
    return "'" + value if value.startswith(CSV_FORMULA_START) else value


@router.get("/verifications.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """Every failure of the staff member's scope, open ones first, as CSV for Excel
    (UTF-8 with a byte-order mark); audited."""
    ctx = request.app.state.ctx
    t = translator(language(request))
    localtime = ctx.templates.env.filters["localtime"]
    with ctx.db.session() as session:
        stmt = _base_query().order_by(
            case((VerificationFailure.review_status == REVIEW_OPEN, 0), else_=1),
            VerificationFailure.occurred_at.desc(), VerificationFailure.id.desc())
        failures = list(session.scalars(scoped(stmt, Terminal.centre_id, staff)))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([t(f"verifications.csv.{column}") for column in (
            "id", "time", "centre", "terminal", "terminal_id", "person_id", "person", "reason",
            "reason_code", "mode", "attempt", "face_distance", "voice_score", "status",
            "reviewed_at", "reviewer", "note")])
        for f in failures:
            writer.writerow([
                f.id, localtime(f.occurred_at, "%Y-%m-%d %H:%M:%S"),
                _csv_text(f.terminal.centre.name), _csv_text(f.terminal.name),
                _csv_text(f.terminal.public_id), f.person_id or "",
                _csv_text(mask_name(f.person.name)) if f.person else t("verifications.unidentified"),
                t(f"verification_reason.{f.reason}"), f.reason,
                t("verifications.mode_claimed" if f.claimed else "verifications.mode_search"),
                f.attempt,
                "" if f.face_distance is None else f"{f.face_distance:.4f}",
                "" if f.voice_score is None else f"{f.voice_score:.4f}",
                t(f"verification_status.{f.review_status}"),
                localtime(f.reviewed_at, "%Y-%m-%d %H:%M:%S"),
                _csv_text(f.reviewer.username) if f.reviewer else "",
                _csv_text(f.review_note)])
        now = ctx.clock()
        audit(session, staff, now, "verification_export", "verification_failures",
              f"rows={len(failures)}")
    filename = f"verification-failures-{localtime(now, '%Y%m%d-%H%M')}.csv"
    headers = dict(SECURITY_HEADERS)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"),
                    media_type="text/csv; charset=utf-8", headers=headers)
