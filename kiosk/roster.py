"""The centre's roster on this terminal: persons and their face and voice templates.

Templates are sealed at rest (kiosk.sealing) and deleted with the person when the centre's
roster no longer lists them; the terminal holds its own centre's roster only.
"""
from __future__ import annotations

import base64
import binascii
import logging

import numpy as np
from sqlalchemy import delete, select

from kiosk import outbox
from kiosk.clock import naive_utc
from kiosk.sealing import Sealer
from kiosk.store import Store
from kiosk.store.models import FaceTemplate, Person, VoiceTemplate
from server_api.contract import EventKind, ReportingPlanSpec, RosterResponse
from server_api.reporting_plan import Plan, PlanError

log = logging.getLogger(__name__)


def seal_template(sealer: Sealer, person_id: int, vector: np.ndarray) -> bytes:
    """A template as stored: float64 bytes sealed to its person (kiosk.sealing)."""
    return sealer.seal(np.asarray(vector, dtype=np.float64).tobytes(), f"face:{person_id}")


def open_template(sealer: Sealer, person_id: int, sealed: bytes) -> np.ndarray:
    return np.frombuffer(sealer.open(sealed, f"face:{person_id}"), dtype=np.float64)


def apply_roster(store: Store, roster: RosterResponse) -> None:
    """Replace the local roster with the centre's, in one transaction.

    Persons who left the roster are deleted with their templates. A person whose face
    enrolment has not reached the server yet keeps the local templates.
    """
    keep_local = {p.id for p in roster.persons
                  if outbox.has_pending(store, EventKind.face_enrolment.value, p.id)}
    keep_voice = {p.id for p in roster.persons
                  if outbox.has_pending(store, EventKind.voice_enrolment.value, p.id)}
    with store.session() as s:
        ids = {p.id for p in roster.persons}
        s.execute(delete(FaceTemplate).where(FaceTemplate.person_id.not_in(ids)))
        s.execute(delete(VoiceTemplate).where(VoiceTemplate.person_id.not_in(ids)))
        s.execute(delete(Person).where(Person.id.not_in(ids)))
        for p in roster.persons:
            s.merge(Person(id=p.id, name=p.name, id_number=p.id_number, case_type=p.case_type.value,
                           reporting_obligation=p.reporting_obligation, has_voice=p.has_voice,
                           reporting_plan=plan_text(p.reporting_plan),
                           last_checkin_at=naive_utc(p.last_checkin_at) if p.last_checkin_at
                           else None))
            if p.id not in keep_voice:
                _apply_voice(s, store.sealer, p.id, p.voice_template, p.voice_model)
            if p.id in keep_local:
                continue
            s.execute(delete(FaceTemplate).where(FaceTemplate.person_id == p.id))
            for t in p.face_templates:
                s.add(FaceTemplate(person_id=p.id, vector=seal_template(store.sealer, p.id, np.array(t)),
                                   source="central"))


def plan_text(spec: ReportingPlanSpec | None) -> str:
    """The roster's plan as the store keeps it ("" for none or a plan that cannot be kept)."""
    if spec is None:
        return ""
    try:
        return Plan(spec.kind, spec.start, spec.window_days, spec.due_day,
                    tuple(sorted(set(spec.dates)))).validated().to_json()
    except PlanError:
        log.warning("roster: a reporting plan that cannot be kept; ignored")
        return ""


def _apply_voice(s, sealer: Sealer, person_id: int, blob_b64: str | None, model: str) -> None:
    """Replace the person's voice template by the centre's (none: delete it)."""
    s.execute(delete(VoiceTemplate).where(VoiceTemplate.person_id == person_id))
    if not blob_b64:
        return
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except (binascii.Error, ValueError):
        log.warning("roster: person %s has an unreadable voice template; ignored", person_id)
        return
    s.add(VoiceTemplate(person_id=person_id, blob=seal_voice(sealer, person_id, blob),
                        model=model or "", source="central"))


def seal_voice(sealer: Sealer, person_id: int, blob: bytes) -> bytes:
    return sealer.seal(blob, f"voice:{person_id}")


def voice_template_bytes(store: Store, person_id: int) -> bytes | None:
    """The person's voice template (kiosk.voice.VoiceTemplate bytes), or None."""
    with store.session() as s:
        row = s.get(VoiceTemplate, person_id)
        return None if row is None else store.sealer.open(row.blob, f"voice:{person_id}")


def voice_templates(store: Store) -> dict[int, bytes]:
    """Every person's voice template bytes (for the cohort of the others)."""
    with store.session() as s:
        rows = s.execute(select(VoiceTemplate.person_id, VoiceTemplate.blob)).all()
    return {pid: store.sealer.open(blob, f"voice:{pid}") for pid, blob in rows}


def face_templates(store: Store) -> dict[int, list[np.ndarray]]:
    with store.session() as s:
        rows = s.execute(select(FaceTemplate.person_id, FaceTemplate.vector)).all()
    out: dict[int, list[np.ndarray]] = {}
    for pid, blob in rows:
        out.setdefault(pid, []).append(open_template(store.sealer, pid, blob))
    return out


def persons(store: Store) -> list[Person]:
    with store.session() as s:
        rows = list(s.scalars(select(Person).order_by(Person.id)))
        s.expunge_all()
        return rows


def person_by_id_number(store: Store, id_number: str) -> Person | None:
    with store.session() as s:
        p = s.scalars(select(Person).where(Person.id_number == id_number)).first()
        if p is not None:
            s.expunge(p)
        return p


def person(store: Store, person_id: int) -> Person | None:
    with store.session() as s:
        p = s.get(Person, person_id)
        if p is not None:
            s.expunge(p)
        return p
