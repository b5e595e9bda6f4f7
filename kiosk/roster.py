"""The centre's roster on this terminal: persons and their face templates."""
from __future__ import annotations

import numpy as np
from sqlalchemy import delete, select

from kiosk import outbox
from kiosk.sealing import Sealer
from kiosk.store import Store
from kiosk.store.models import FaceTemplate, Person
from server_api.contract import EventKind, RosterResponse


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
    with store.session() as s:
        ids = {p.id for p in roster.persons}
        s.execute(delete(FaceTemplate).where(FaceTemplate.person_id.not_in(ids)))
        s.execute(delete(Person).where(Person.id.not_in(ids)))
        for p in roster.persons:
            s.merge(Person(id=p.id, name=p.name, id_number=p.id_number, case_type=p.case_type.value,
                           reporting_obligation=p.reporting_obligation, has_voice=p.has_voice))
            if p.id in keep_local:
                continue
            s.execute(delete(FaceTemplate).where(FaceTemplate.person_id == p.id))
            for t in p.face_templates:
                s.add(FaceTemplate(person_id=p.id, vector=seal_template(store.sealer, p.id, np.array(t)),
                                   source="central"))


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
