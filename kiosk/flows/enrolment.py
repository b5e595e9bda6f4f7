"""Staff-supervised enrolment at the kiosk: face templates and a voice sample."""
from __future__ import annotations

import base64

import numpy as np
from sqlalchemy import delete

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.roster import seal_template
from kiosk.store import Store
from kiosk.store.models import FaceTemplate, Person
from server_api.contract import EventKind

MIN_VOICE_SECONDS = 1.5
MIN_VOICE_DBFS = -45.0
CLIPPED_FRACTION = 0.01


def enrol_face(store: Store, clock: Clock, person_id: int, templates: list[np.ndarray]) -> int:
    if len(templates) < 2:
        raise FlowError("enrol.error.no_face")
    now = clock.now()
    with store.session() as s:
        if s.get(Person, person_id) is None:
            raise FlowError("enrol.error.unknown_person")
        s.execute(delete(FaceTemplate).where(FaceTemplate.person_id == person_id))
        for t in templates:
            s.add(FaceTemplate(person_id=person_id, vector=seal_template(store.sealer, person_id, t),
                               source="local"))
        outbox.enqueue(s, key=outbox.new_key(), kind=EventKind.face_enrolment.value,
                       person_id=person_id, occurred_at=now,
                       payload={"templates": [np.asarray(t, dtype=float).round(6).tolist()
                                              for t in templates]})
    return len(templates)


def check_voice(samples: np.ndarray, rate: int) -> None:
    """Refuse audio no one could verify later, with the instruction to fix it."""
    seconds = len(samples) / float(rate) if rate else 0.0
    if seconds < MIN_VOICE_SECONDS:
        raise FlowError("enrol.error.voice_too_short")
    x = samples.astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(x * x))) if len(x) else 0.0
    if rms <= 0 or 20 * np.log10(rms) < MIN_VOICE_DBFS:
        raise FlowError("enrol.error.voice_too_quiet")
    if float(np.mean(np.abs(x) > 0.99)) > CLIPPED_FRACTION:
        raise FlowError("enrol.error.voice_clipped")


def enrol_voice(store: Store, clock: Clock, person_id: int, samples: np.ndarray, rate: int,
                wav_bytes: bytes) -> None:
    check_voice(samples, rate)
    now = clock.now()
    with store.session() as s:
        person = s.get(Person, person_id)
        if person is None:
            raise FlowError("enrol.error.unknown_person")
        person.has_voice = True
        outbox.enqueue(s, key=outbox.new_key(), kind=EventKind.voice_enrolment.value,
                       person_id=person_id, occurred_at=now,
                       payload={"wav_b64": base64.b64encode(wav_bytes).decode(),
                                "seconds": round(len(samples) / float(rate), 2)})
