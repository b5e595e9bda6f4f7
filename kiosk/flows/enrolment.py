"""Staff-supervised enrolment at the kiosk: face templates and a voice template."""
from __future__ import annotations

import base64

import numpy as np
from sqlalchemy import delete

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.roster import seal_template, seal_voice
from kiosk.store import Store
from kiosk.store.models import FaceTemplate, Person, VoiceTemplate
from server_api.contract import EventKind


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


def enrol_voice(store: Store, clock: Clock, person_id: int, template: bytes, model: str,
                wavs: list[bytes]) -> None:
    """Keep the person's new voice template (sealed) and send it, with the enrolment
    utterances as evidence, to the centre; the latest enrolment replaces the earlier one."""
    if len(wavs) < 3 or not template:
        raise FlowError("voice.enrol_more")
    now = clock.now()
    with store.session() as s:
        person = s.get(Person, person_id)
        if person is None:
            raise FlowError("enrol.error.unknown_person")
        person.has_voice = True
        s.execute(delete(VoiceTemplate).where(VoiceTemplate.person_id == person_id))
        s.add(VoiceTemplate(person_id=person_id, blob=seal_voice(store.sealer, person_id, template),
                            model=model, source="local"))
        outbox.enqueue(s, key=outbox.new_key(), kind=EventKind.voice_enrolment.value,
                       person_id=person_id, occurred_at=now,
                       payload={"template_b64": base64.b64encode(template).decode(),
                                "model": model,
                                "wavs_b64": [base64.b64encode(w).decode() for w in wavs]})
