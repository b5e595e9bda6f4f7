"""心理测评: assigned questionnaires, answered one question at a time, sent to staff.

The definitions are files the centre publishes as signed content (TUF targets
``questionnaires/<id>.v<version>.json``); the terminal takes a definition from its
verified content set when the set holds it, and only otherwise downloads it from the
API (verified by the sha256 its assignment names). It keeps each one so an assignment
heard once can be answered offline. The answers
go to the centre through the outbox, sealed, in the transaction that records the
submission; the terminal never computes or shows a score. A critical answer (e.g. PHQ-9
item 9 above 0) calls staff at once through the staff-call path, before the
questionnaire is even finished, and the screens then show help information.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from content.questionnaires.engine import (
    Definition, DefinitionError, check_answers, file_name_of, parse,
)
from content.updater import verified_file
from kiosk import outbox
from kiosk.clock import Clock, naive_utc
from kiosk.errors import FlowError
from kiosk.flows.staff_call import record_call
from kiosk.store import Store
from kiosk.store.questionnaire_models import (
    CachedQuestionnaire, QuestionnaireDefinition, QuestionnaireSubmission,
)
from server_api.client import CentralClient, CentralError, CentralRejected
from server_api.contract import EventKind

log = logging.getLogger(__name__)
# The screen name a critical answer's staff call carries (the dashboard names it).
CRITICAL_SCREEN = "questionnaire_critical"


@dataclass(frozen=True)
class QuestionnaireView:
    assignment_id: int
    questionnaire_id: str
    version: int
    title_zh: str
    title_en: str

    def title(self, language: str) -> str:
        return (self.title_en if language == "en" else "") or self.title_zh


def refresh(store: Store, client: CentralClient | None, person_id: int,
            content_dir: Path | None = None) -> bool:
    """Ask the centre for the person's open assignments and fetch missing definitions
    (from the verified content set in ``content_dir`` when it holds them).

    Offline, the list heard last stays; False then.
    """
    if client is None:
        return False
    try:
        remote = client.questionnaires(person_id).assignments
        files: dict[tuple[str, int], bytes] = {}
        with store.session() as s:
            for info in remote:
                row = s.get(QuestionnaireDefinition, (info.questionnaire_id, info.version))
                if row is None or row.sha256 != info.sha256:
                    files[(info.questionnaire_id, info.version)] = _definition_file(
                        client, content_dir, info)
    except CentralError:
        return False
    with store.session() as s:
        for (qid, version), data in files.items():
            try:
                parse(data)
            except DefinitionError:
                continue  # unusable here: the assignment is not offered
            s.merge(QuestionnaireDefinition(questionnaire_id=qid, version=version, data=data,
                                            sha256=next(i.sha256 for i in remote
                                                        if (i.questionnaire_id, i.version)
                                                        == (qid, version))))
        s.execute(delete(CachedQuestionnaire).where(CachedQuestionnaire.person_id == person_id))
        for info in remote:
            s.add(CachedQuestionnaire(person_id=person_id, assignment_id=info.assignment_id,
                                      questionnaire_id=info.questionnaire_id, version=info.version,
                                      title_zh=info.title.zh_CN, title_en=info.title.en,
                                      sha256=info.sha256))
    return True


def _definition_file(client: CentralClient, content_dir: Path | None, info) -> bytes:
    """The signed copy of the content set, else the API's (checked against its sha256)."""
    if content_dir is not None:
        path = f"questionnaires/{file_name_of(info.questionnaire_id, info.version)}"
        data = verified_file(content_dir, path)
        if data is not None:
            if hashlib.sha256(data).hexdigest() == info.sha256:
                return data
            # A published version never changes: the signed copy stands, the API's
            # assignment is not offered until both agree.
            log.warning("%s: the assignment names another sha256 than the signed copy", path)
            raise CentralRejected(200, "content_corrupt", "questionnaire sha256 differs")
    return client.questionnaire_definition(info.questionnaire_id, info.version, info.sha256)


def list_for(store: Store, person_id: int) -> list[QuestionnaireView]:
    """Open assignments with their definition at hand, not already answered here."""
    with store.session() as s:
        sent = set(s.scalars(select(QuestionnaireSubmission.assignment_id)
                             .where(QuestionnaireSubmission.person_id == person_id)))
        rows = s.execute(
            select(CachedQuestionnaire).join(
                QuestionnaireDefinition,
                (QuestionnaireDefinition.questionnaire_id == CachedQuestionnaire.questionnaire_id)
                & (QuestionnaireDefinition.version == CachedQuestionnaire.version)
                & (QuestionnaireDefinition.sha256 == CachedQuestionnaire.sha256))
            .where(CachedQuestionnaire.person_id == person_id)
            .order_by(CachedQuestionnaire.assignment_id)).scalars().all()
        return [QuestionnaireView(r.assignment_id, r.questionnaire_id, r.version, r.title_zh,
                                  r.title_en) for r in rows if r.assignment_id not in sent]


def definition(store: Store, questionnaire_id: str, version: int) -> Definition:
    with store.session() as s:
        row = s.get(QuestionnaireDefinition, (questionnaire_id, version))
        data = row.data if row is not None else None
    if data is None:
        raise FlowError("questionnaire.error.unavailable")
    return parse(data)


@dataclass
class QuestionnaireRun:
    """One person answering one assignment: the current question and the answers so far."""

    person_id: int
    view: QuestionnaireView
    definition: Definition
    answers: list[int | None] = field(default_factory=list)
    index: int = 0
    alerted: bool = False  # staff were called for a critical answer in this run
    submitted: bool = False

    def __post_init__(self) -> None:
        self.answers = [None] * len(self.definition.questions)

    @property
    def count(self) -> int:
        return len(self.definition.questions)

    @property
    def complete(self) -> bool:
        return all(a is not None for a in self.answers)


def start(store: Store, person_id: int, assignment_id: int) -> QuestionnaireRun:
    view = next((v for v in list_for(store, person_id) if v.assignment_id == assignment_id), None)
    if view is None:
        raise FlowError("questionnaire.error.not_assigned")
    return QuestionnaireRun(person_id, view, definition(store, view.questionnaire_id, view.version))


def alert_staff(store: Store, clock: Clock, person_id: int) -> str:
    """Call staff at once for a critical answer (the dashboard shows it within seconds)."""
    return record_call(store, clock, person_id, CRITICAL_SCREEN)


def submit(store: Store, clock: Clock, run: QuestionnaireRun) -> str:
    """Record the completed questionnaire and queue its answers, in one transaction."""
    answers = [a for a in run.answers if a is not None]
    try:
        check_answers(run.definition, answers)
    except ValueError:
        raise FlowError("questionnaire.error.incomplete") from None
    key = outbox.new_key()
    now = clock.now()
    critical = any(run.definition.critical_at(i, v) for i, v in enumerate(answers))
    with store.session() as s:
        s.add(QuestionnaireSubmission(key=key, person_id=run.person_id,
                                      assignment_id=run.view.assignment_id,
                                      questionnaire_id=run.definition.id,
                                      version=run.definition.version, at=naive_utc(now),
                                      critical=critical))
        outbox.enqueue(s, key=key, kind=EventKind.questionnaire_result.value,
                       person_id=run.person_id, occurred_at=now,
                       payload={"assignment_id": run.view.assignment_id,
                                "questionnaire_id": run.definition.id,
                                "version": run.definition.version, "answers": answers})
    run.submitted = True
    return key
