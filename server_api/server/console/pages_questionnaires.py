"""Questionnaires (心理测评): assign one to a person, read the results (staff only).

Scoped like every page: staff see and assign persons of their own centre only; a
result of another centre answers 404. Results are personal data: every reading of the
list or of one result is written to the audit log (Art 61), as is every assignment.
A result shows the score and band of the definition version it was answered with.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.biometrics import active_persons
from server_api.server.console.common import (
    RowId, audit, checked_staff, flash, form_transaction, language, person_in_scope, redirect,
    render, scoped,
)
from server_api.server.models import Person
from server_api.server.questionnaire_models import QuestionnaireAssignment, QuestionnaireResult
from server_api.server.questionnaires import library
from server_api.server.validation import FormError, parse_id

router = APIRouter()
LIST_LIMIT = 200


def _title(questionnaire_id: str, version: int, lang: str) -> str:
    published = library().get(questionnaire_id, version)
    if published is None:
        return f"{questionnaire_id} v{version}"
    return f"{published.definition.title.get(lang)} v{version}"


def _band_label(result: QuestionnaireResult, lang: str) -> str:
    published = library().get(result.questionnaire_id, result.version)
    if published is None:
        return result.band
    band = next((b for b in published.definition.bands if b.code == result.band), None)
    return band.label.get(lang) if band else result.band


def _page(request: Request, staff: StaffIdentity, status: int = 200,
          error: FormError | None = None) -> Response:
    ctx = request.app.state.ctx
    lang = language(request)
    with ctx.db.session() as session:
        results = list(session.scalars(scoped(
            select(QuestionnaireResult).join(Person, Person.id == QuestionnaireResult.person_id)
            .options(selectinload(QuestionnaireResult.person))
            .order_by(QuestionnaireResult.occurred_at.desc(), QuestionnaireResult.id.desc())
            .limit(LIST_LIMIT), Person.centre_id, staff)))
        open_rows = list(session.scalars(scoped(
            select(QuestionnaireAssignment)
            .join(Person, Person.id == QuestionnaireAssignment.person_id)
            .where(QuestionnaireAssignment.completed_at.is_(None))
            .options(selectinload(QuestionnaireAssignment.person))
            .order_by(QuestionnaireAssignment.assigned_at.desc()).limit(LIST_LIMIT),
            Person.centre_id, staff)))
        persons = list(session.scalars(scoped(select(Person).where(active_persons())
                                              .order_by(Person.name, Person.id),
                                              Person.centre_id, staff)))
        audit(session, staff, ctx.clock(), "questionnaire_results_view", "questionnaires",
              f"rows={len(results)}")
    rows = [dict(r=r, title=_title(r.questionnaire_id, r.version, lang),
                 band=_band_label(r, lang)) for r in results]
    pending = [dict(a=a, title=_title(a.questionnaire_id, a.version, lang)) for a in open_rows]
    choices = [(p.definition.id, f"{p.definition.title.get(lang)} v{p.definition.version}")
               for p in library().latest_all()]
    return render(request, "questionnaires.html", staff, status=status, error=error,
                  results=rows, pending=pending, persons=persons, questionnaires=choices)


@router.get("/questionnaires")
def questionnaires(request: Request, staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _page(request, staff)


@router.post("/questionnaires/assign")
def assign_questionnaire(request: Request, person_id: str = Form(""),
                         questionnaire_id: str = Form(""),
                         staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Assign the newest version of a questionnaire; one open assignment of each at a time."""
    ctx = request.app.state.ctx
    try:
        wanted = parse_id(person_id, "error.person_required")
        published = library().latest(questionnaire_id.strip()[:40])
        if published is None:
            raise FormError("error.questionnaire_unknown")
        definition = published.definition
        with form_transaction(ctx.db) as session:
            person = person_in_scope(session, staff, wanted)
            if person is None or person.removed:
                raise FormError("error.person_unknown")
            exists = session.scalar(select(QuestionnaireAssignment.id).where(
                QuestionnaireAssignment.person_id == person.id,
                QuestionnaireAssignment.questionnaire_id == definition.id,
                QuestionnaireAssignment.completed_at.is_(None)))
            if exists is None:
                row = QuestionnaireAssignment(
                    person_id=person.id, questionnaire_id=definition.id,
                    version=definition.version, assigned_by=staff.id, assigned_at=ctx.clock())
                session.add(row)
                session.flush()
                audit(session, staff, ctx.clock(), "questionnaire_assign", f"person:{person.id}",
                      f"{definition.id} v{definition.version} assignment:{row.id}")
            names = {"title": definition.title.get(language(request)), "name": person.name}
    except FormError as exc:
        return _page(request, staff, 400, exc)
    flash(request, "notice.questionnaire_already_assigned" if exists
          else "notice.questionnaire_assigned", **names)
    return redirect("/console/questionnaires")


@router.get("/questionnaires/results/{result_id}")
def questionnaire_result(request: Request, result_id: RowId,
                         staff: StaffIdentity = Depends(current_staff)) -> Response:
    """One result with each question and the answer chosen (audited read)."""
    ctx = request.app.state.ctx
    lang = language(request)
    with ctx.db.session() as session:
        result = session.get(QuestionnaireResult, result_id)
        if result is None or person_in_scope(session, staff, result.person_id) is None:
            raise HTTPException(404)
        person_name, terminal_name = result.person.name, result.terminal.name
        audit(session, staff, ctx.clock(), "questionnaire_result_view",
              f"person:{result.person_id}", f"result:{result.id}")
    published = library().get(result.questionnaire_id, result.version)
    answers = json.loads(result.answers_json)
    items = []
    if published is not None:
        d = published.definition
        for question, value in zip(d.questions, answers):
            choice = next((c for c in d.choices_of(question) if c.value == value), None)
            items.append(SimpleNamespace(text=question.text.get(lang), value=value,
                              answer=choice.text.get(lang) if choice else str(value),
                              critical=bool(d.critical_at(d.questions.index(question), value))))
    return render(request, "questionnaire_result.html", staff, r=result, answers=items,
                  person_name=person_name, terminal_name=terminal_name,
                  title=_title(result.questionnaire_id, result.version, lang),
                  band=_band_label(result, lang))
