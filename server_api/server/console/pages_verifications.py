"""Verification failures (身份核验异常): failed identity checks for staff to review.

A genuine person must never be trapped without a human route: every failed check a
terminal records is listed here with its evidence, open ones first. Staff may confirm
that an attempt was the genuine person and, when the face was seen and nothing suggests
a spoof, add its face sample to the person's references (the terminals receive it with
the next roster sync); or dismiss it. A spoof suspect (liveness or lip-sync failed) is
never added, and confirming it needs a note saying how staff verified the person. A
failure belongs to its terminal's centre, also when nobody was proposed; staff of
another centre get 404. Looking at a failure's snapshot and exporting the list are reads
of personal data and are written to the audit log.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException

from server_api import contract
from server_api.names import mask_name
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.biometrics import add_confirmed_template
from server_api.server.console.common import (
    SECURITY_HEADERS, RowId, audit, centre_in_scope, checked_staff, flash, form_transaction,
    language, may_see, person_visible, render, scoped, visible_centres,
)
from server_api.server.console.listing import (
    CsvTable, Export, Filters, Pager, back_to, export_list, in_centre, parse_int, read_filters,
)
from server_api.server.console.evidence import (
    evidence_items, evidence_text, is_spoof_suspect, reference_refusal,
)
from server_api.server.i18n import translator
from server_api.server.models import (
    REVIEW_CONFIRMED, REVIEW_DISMISSED, REVIEW_OPEN, REVIEW_STATUSES, Person, Terminal,
    VerificationFailure,
)
from server_api.server.validation import FormError, optional_text

router = APIRouter()
FILTERS = ("status", "reason", "reviewed_page")
MAX_NOTE = 1000
TICKED = ("yes", "on", "1", "true")


def _base_query():
    return (select(VerificationFailure)
            .join(Terminal, Terminal.id == VerificationFailure.terminal_id)
            .options(selectinload(VerificationFailure.terminal).selectinload(Terminal.centre),
                     selectinload(VerificationFailure.person).selectinload(Person.removal),
                     selectinload(VerificationFailure.reference),
                     selectinload(VerificationFailure.reviewer)))


def open_count(session: Session, staff: StaffIdentity) -> int:
    """Open failures from the terminals of the staff member's scope (for the dashboard)."""
    stmt = (select(func.count(VerificationFailure.id))
            .join(Terminal, Terminal.id == VerificationFailure.terminal_id)
            .where(VerificationFailure.review_status == REVIEW_OPEN,
                   person_visible(VerificationFailure.person_id, staff)))
    return session.scalar(scoped(stmt, Terminal.centre_id, staff)) or 0


def _failure_in_scope(session: Session, staff: StaffIdentity,
                      failure_id: int) -> VerificationFailure:
    failure = session.get(VerificationFailure, failure_id)
    if failure is None or centre_in_scope(session, staff, failure.terminal.centre_id) is None \
            or (failure.person is not None and not may_see(staff, failure.person)):
        raise HTTPException(404)
    return failure


def _filters(request: Request, staff: StaffIdentity) -> Filters:
    """Status ("" for all) and reason filters (unknown values mean "all"); ``page`` pages
    through the open failures, ``reviewed_page`` through the reviewed ones."""
    filters = read_filters(request, staff, FILTERS)
    if filters.values["status"] not in REVIEW_STATUSES:
        filters.values["status"] = ""
    if filters.values["reason"] not in contract.VERIFICATION_REASONS:
        filters.values["reason"] = ""
    filters.parsed = {"reviewed_page": parse_int(filters.values["reviewed_page"],
                                                 "error.filter_page", 1, 10**6) or 1}
    return filters


def _filtered(stmt, staff: StaffIdentity, filters: Filters):
    stmt = in_centre(stmt, Terminal.centre_id, staff, filters,
                     person_column=VerificationFailure.person_id)
    status, reason = filters.values["status"], filters.values["reason"]
    if status:
        stmt = stmt.where(VerificationFailure.review_status == status)
    if reason:
        stmt = stmt.where(VerificationFailure.reason == reason)
    return stmt


def _section(session: Session, staff: StaffIdentity, filters: Filters, is_open: bool,
             page: int) -> tuple[list[VerificationFailure], Pager]:
    """One page of the open (newest first) or reviewed (latest review first) failures."""
    where = (VerificationFailure.review_status == REVIEW_OPEN if is_open
             else VerificationFailure.review_status != REVIEW_OPEN)
    total = session.scalar(_filtered(
        select(func.count(VerificationFailure.id))
        .join(Terminal, Terminal.id == VerificationFailure.terminal_id).where(where),
        staff, filters)) or 0
    pager = Pager(page, total)
    newest = (VerificationFailure.occurred_at if is_open else VerificationFailure.reviewed_at)
    stmt = (_base_query().where(where)
            .order_by(newest.desc(), VerificationFailure.id.desc())
            .offset(pager.offset).limit(pager.per_page))
    return list(session.scalars(_filtered(stmt, staff, filters))), pager


def _verifications_page(request: Request, staff: StaffIdentity, status: int = 200,
                        error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    filters = Filters({"status": "", "reason": ""})
    open_failures, reviewed = [], []
    open_pager = reviewed_pager = Pager(1, 0)
    with ctx.db.session() as session:
        try:
            filters = _filters(request, staff)
        except FormError as exc:
            status, error = 400, error or exc
        else:
            open_failures, open_pager = _section(session, staff, filters, True, filters.page)
            reviewed, reviewed_pager = _section(session, staff, filters, False,
                                                filters.parsed["reviewed_page"])
        centres = visible_centres(session, staff)
    t = translator(language(request))
    return render(request, "verifications.html", staff, status=status, error=error,
                  open_failures=open_failures, reviewed=reviewed, total_open=open_pager.total,
                  open_pager=open_pager, reviewed_pager=reviewed_pager,
                  max_note=MAX_NOTE, evidence_of=lambda f: evidence_items(f, t),
                  refusal=reference_refusal, spoof_suspect=is_spoof_suspect,
                  filters=filters, centres=centres, statuses=REVIEW_STATUSES,
                  reasons=contract.VERIFICATION_REASONS)


@router.get("/verifications")
def verifications(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _verifications_page(request, staff)


def _check_review(failure: VerificationFailure, genuine: bool, add_reference: bool,
                  note: str) -> None:
    """Refuse (FormError) what this review may not do with this failure."""
    if failure.review_status != REVIEW_OPEN:
        raise FormError("error.verification_reviewed")
    if not genuine:
        return
    if failure.person_id is None:
        raise FormError("error.verification_cannot_confirm")
    if add_reference:
        refusal = reference_refusal(failure)
        if refusal:
            raise FormError(refusal)
    if is_spoof_suspect(failure) and not note:
        raise FormError("error.verification_note_required")


@router.post("/verifications/{failure_id}/review")
def review(request: Request, failure_id: RowId, decision: str = Form(""),
           note: str = Form(""), add_reference: str = Form(""), back: str = Form(""),
           staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Confirm a failure was the genuine person (optionally adding its face sample to the
    person's references) or dismiss it; audited.

    Of two staff reviewing at once only the first counts (conditional update); the other
    is told, politely, that it was already reviewed.
    """
    ctx = request.app.state.ctx
    try:
        if decision not in ("genuine", "dismiss"):
            raise FormError("error.verification_decision_required")
        note = optional_text(note, MAX_NOTE)
        genuine = decision == "genuine"
        wants_reference = add_reference.strip().lower() in TICKED
        if wants_reference and not genuine:
            raise FormError("error.verification_reference_needs_genuine")
        with form_transaction(ctx.db) as session:
            failure = _failure_in_scope(session, staff, failure_id)
            _check_review(failure, genuine, wants_reference, note)
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
            if genuine and wants_reference:
                template, dropped = add_confirmed_template(session, failure, now)
                detail = f"template:{template.id} {target}"
                if dropped:
                    detail += " dropped:" + ",".join(str(i) for i in dropped)
                audit(session, staff, now, "face_reference_add", person, detail)
                audit(session, staff, now, "verification_confirm", target,
                      f"{person} template:{template.id}")
            elif genuine:
                audit(session, staff, now, "verification_confirm", target,
                      person + (" spoof_suspect" if is_spoof_suspect(failure) else ""))
            else:
                audit(session, staff, now, "verification_dismiss", target, person)
            terminal_name = failure.terminal.name
    except FormError as exc:
        return _verifications_page(
            request, staff, 409 if exc.key == "error.verification_reviewed" else 400, exc)
    notice = ("notice.verification_dismissed" if not genuine else
              "notice.verification_confirmed_reference" if wants_reference else
              "notice.verification_confirmed")
    flash(request, notice, terminal=terminal_name)
    return back_to("/console/verifications", back, FILTERS)


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


@router.get("/verifications.csv")
def export_csv(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    """Every failure of the staff member's scope matching the page's filter, open ones
    first, as CSV for Excel (UTF-8 with a byte-order mark); audited with the filter."""
    return export_list(request, staff, filters_of=_filters, page=_verifications_page,
                       table=_export_table, action="verification_export",
                       target="verification_failures", stem="verification-failures")


def _export_table(session, export: Export) -> CsvTable:
    t, localtime = export.t, export.localtime
    stmt = _base_query().order_by(
        case((VerificationFailure.review_status == REVIEW_OPEN, 0), else_=1),
        VerificationFailure.occurred_at.desc(), VerificationFailure.id.desc())
    failures = list(session.scalars(_filtered(stmt, export.staff, export.filters)))
    cells = [[
        f.id, localtime(f.occurred_at, "%Y-%m-%d %H:%M:%S"),
        f.terminal.centre.name, f.terminal.name, f.terminal.public_id, f.person_id or "",
        mask_name(f.person.name) if f.person else t("verifications.unidentified"),
        t(f"verification_reason.{f.reason}"), f.reason,
        t("verifications.mode_claimed" if f.claimed else "verifications.mode_search"),
        f.attempt,
        "" if f.face_distance is None else f"{f.face_distance:.4f}",
        "" if f.voice_score is None else f"{f.voice_score:.4f}",
        evidence_text(f, t),
        t("verifications.reference_added") if f.reference else "",
        t(f"verification_status.{f.review_status}"),
        localtime(f.reviewed_at, "%Y-%m-%d %H:%M:%S"),
        f.reviewer.username if f.reviewer else "",
        f.review_note] for f in failures]
    columns = [f"verifications.csv.{column}" for column in (
        "id", "time", "centre", "terminal", "terminal_id", "person_id", "person", "reason",
        "reason_code", "mode", "attempt", "face_distance", "voice_score", "evidence",
        "reference", "status", "reviewed_at", "reviewer", "note")]
    return CsvTable(columns, cells, len(failures))
