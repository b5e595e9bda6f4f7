"""Supervised persons (社区矫正对象): list with enrolment status, registration, removal.

Removing a person (supervision ended, registered by mistake) deletes every biometric the
server holds of them (face templates, voice template, voice recordings, face samples of
failed checks) and takes them off the terminals' roster; their check-ins and other
records stay, as the legal record. The person's row stays for those records.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api import contract
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.biometrics import erase_biometrics
from server_api.server.console.common import (
    RowId, audit, centre_in_scope, checked_staff, flash, form_transaction, hidden_minors,
    person_in_scope, redirect, render, scoped, visible_centres,
)
from server_api.server.console.pages_minors import TICKED, assignee, centre_staff
from server_api.server.models import TEMPLATE_STAFF_CONFIRMED, Person, PersonRemoval
from server_api.server.storage import FileTxn
from server_api.server.validation import (
    FormError, check_case_type, check_id_number, optional_text, parse_id, required_text,
)

router = APIRouter()
MAX_REMOVAL_REASON = 500


def _persons_page(request: Request, staff: StaffIdentity, status: int = 200,
                  error: FormError | None = None, values: dict | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        stmt = (select(Person).options(selectinload(Person.centre),
                                       selectinload(Person.face_templates),
                                       selectinload(Person.voice_samples),
                                       selectinload(Person.voice_template),
                                       selectinload(Person.removal))
                .order_by(Person.centre_id, Person.name, Person.id))
        persons = list(session.scalars(scoped(stmt, Person.centre_id, staff)))
        centres = visible_centres(session, staff)
        # Minors this staff member may not see: only an administrator is shown that they
        # exist (masked), to assign them (pages_minors).
        hidden = list(session.scalars(
            select(Person).options(selectinload(Person.centre))
            .where(Person.id.in_(hidden_minors(staff))).order_by(Person.centre_id, Person.id)
        )) if staff.is_admin else []
        assignable = centre_staff(session, [c.id for c in centres])
    return render(request, "persons.html", staff, status=status, error=error, persons=persons,
                  hidden_minors=hidden, assignable=assignable,
                  centres=centres, case_types=list(contract.CaseType), values=values or {},
                  case_type_keys={ct.value: ct.name for ct in contract.CaseType},
                  confirmed_source=TEMPLATE_STAFF_CONFIRMED, max_reason=MAX_REMOVAL_REASON)


@router.get("/persons")
def persons(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _persons_page(request, staff)


@router.post("/persons")
def create_person(request: Request, centre_id: str = Form(""), name: str = Form(""),
                  id_number: str = Form(""), case_type: str = Form(""),
                  reporting_obligation: str = Form(""), is_minor: str = Form(""),
                  assigned_staff_id: str = Form(""),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    ctx = request.app.state.ctx
    values = {"centre_id": centre_id, "name": name, "id_number": id_number,
              "case_type": case_type, "reporting_obligation": reporting_obligation,
              "is_minor": is_minor, "assigned_staff_id": assigned_staff_id}
    minor = is_minor.strip().lower() in TICKED
    try:
        if not centre_id.strip() and not staff.is_admin:
            centre_id = str(staff.centre_id)
        wanted_centre = parse_id(centre_id, "error.centre_required")
        name = required_text(name, "error.person_name_required", 100)
        number = check_id_number(id_number, ctx.clock().date())
        kind = check_case_type(case_type)
        obligation = optional_text(reporting_obligation, 4000)
        with form_transaction(ctx.db) as session:
            centre = centre_in_scope(session, staff, wanted_centre)
            if centre is None:
                raise FormError("error.centre_unknown")
            if session.scalar(select(Person.id).where(Person.id_number == number)):
                raise FormError("error.id_number_taken")
            assigned = assignee(session, staff, centre.id, assigned_staff_id) if minor else None
            person = Person(centre_id=centre.id, name=name, id_number=number,
                            case_type=kind.value, reporting_obligation=obligation,
                            created_at=ctx.clock(), is_minor=minor,
                            assigned_staff_id=assigned)
            session.add(person)
            session.flush()
            audit(session, staff, ctx.clock(), "person_create", f"person:{person.id}",
                  f"centre={centre.id}" + (f" minor staff={assigned}" if minor else ""))
    except FormError as exc:
        return _persons_page(request, staff, 400, exc, values)
    flash(request, "notice.person_created", name=name)
    return redirect("/console/persons", created=person.id)


@router.post("/persons/{person_id}/remove")
def remove_person(request: Request, person_id: RowId, reason: str = Form(""),
                  confirm: str = Form(""),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Remove a person and erase their biometrics; their records stay (audited)."""
    ctx = request.app.state.ctx
    files = FileTxn(ctx.storage)
    try:
        reason = required_text(reason, "error.person_remove_reason_required", MAX_REMOVAL_REASON)
        if confirm != "yes":
            raise FormError("error.person_remove_confirm")
        with form_transaction(ctx.db) as session:
            person = person_in_scope(session, staff, person_id)
            if person is None:
                raise HTTPException(404)
            if person.removed:
                raise FormError("error.person_already_removed")
            now = ctx.clock()
            session.add(PersonRemoval(person_id=person.id, removed_at=now, removed_by=staff.id,
                                      reason=reason))
            erased = erase_biometrics(session, files, person)
            audit(session, staff, now, "person_remove", f"person:{person.id}", erased.detail())
            name = person.name
    except FormError as exc:
        files.rolled_back()
        return _persons_page(request, staff, 409 if exc.key == "error.person_already_removed"
                             else 400, exc)
    except BaseException:
        files.rolled_back()
        raise
    files.committed()  # the recordings go only once the database forgot them
    flash(request, "notice.person_removed", name=name)
    return redirect("/console/persons")
