"""A person's biometrics on the server: face templates, voice template, voice recordings.

One place decides how they are replaced, added and erased, for the terminal events and
the console alike. Files go through a ``FileTxn`` so a recording disappears only once
the transaction that forgot it has committed.
"""
from __future__ import annotations

import datetime as dt
import io
import struct
import wave
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server_api.server.models import (
    TEMPLATE_STAFF_CONFIRMED, FaceTemplate, Person, PersonRemoval, VerificationFailure,
    VoiceSample, VoiceTemplate,
)
from server_api.server.storage import FileTxn

# Templates a person keeps at most: the oldest staff-confirmed ones make room for a new
# one; enrolment templates are never dropped (and the new one is always kept).
MAX_FACE_TEMPLATES = 10


def active_persons():
    """Clause: persons staff have not removed."""
    return ~select(PersonRemoval.id).where(PersonRemoval.person_id == Person.id).exists()


def is_removed(session: Session, person_id: int) -> bool:
    return session.scalar(select(PersonRemoval.id)
                          .where(PersonRemoval.person_id == person_id)) is not None


def wav_seconds(wav: bytes) -> float | None:
    """Duration of a PCM WAV from its header, None when the header cannot be read.

    The bytes come from a terminal: besides ``wave.Error`` and ``EOFError``, the
    ``wave`` module raises ``RuntimeError`` for a chunk declared past the end of the
    RIFF chunk, and ``struct.error`` for a truncated format chunk.
    """
    try:
        with wave.open(io.BytesIO(wav)) as reader:
            rate = reader.getframerate()
            return reader.getnframes() / rate if rate else None
    except (wave.Error, EOFError, ValueError, RuntimeError, struct.error, OverflowError):
        return None


@dataclass
class VoiceEnrolment:
    """A checked voice enrolment: template (None for the older form) and recordings."""

    person_id: int
    event_id: int
    at: dt.datetime
    template: bytes | None
    model: str
    wavs: list[tuple[bytes, float]]  # (WAV bytes, seconds)


def _voice_enrolled_at(session: Session, person_id: int) -> dt.datetime | None:
    times = [session.scalar(select(func.max(VoiceTemplate.created_at))
                            .where(VoiceTemplate.person_id == person_id)),
             session.scalar(select(func.max(VoiceSample.created_at))
                            .where(VoiceSample.person_id == person_id))]
    known = [t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t
             for t in times if t is not None]
    return max(known) if known else None


def replace_voice(session: Session, files: FileTxn, enrolment: VoiceEnrolment) -> bool:
    """Make this enrolment the person's voice, unless a newer one is already stored.

    The template and the recordings of older enrolments are removed (keep no more
    biometrics than needed). Returns False when a newer enrolment wins.
    """
    newest = _voice_enrolled_at(session, enrolment.person_id)
    if newest is not None and newest > enrolment.at:
        return False
    for old in session.scalars(select(VoiceSample)
                               .where(VoiceSample.person_id == enrolment.person_id)):
        files.obsolete(old.path)
        session.delete(old)
    template = session.scalar(select(VoiceTemplate)
                              .where(VoiceTemplate.person_id == enrolment.person_id))
    if enrolment.template is None:
        if template is not None:
            session.delete(template)
    elif template is None:  # updated in place otherwise: person_id is unique
        session.add(VoiceTemplate(person_id=enrolment.person_id, event_id=enrolment.event_id,
                                  blob=enrolment.template, model=enrolment.model,
                                  created_at=enrolment.at))
    else:
        template.event_id, template.blob = enrolment.event_id, enrolment.template
        template.model, template.created_at = enrolment.model, enrolment.at
    for n, (wav, seconds) in enumerate(enrolment.wavs, start=1):
        path = files.write(f"voice/{enrolment.person_id}/{enrolment.event_id}-{n}.wav", wav)
        session.add(VoiceSample(person_id=enrolment.person_id, path=path, seconds=seconds,
                                created_at=enrolment.at))
    return True


def add_confirmed_template(session: Session, failure: VerificationFailure,
                           at: dt.datetime) -> tuple[FaceTemplate, list[int]]:
    """Add a failure's face sample to its person's templates, linked to the failure.

    Drops the oldest other staff-confirmed templates while the person has more than
    ``MAX_FACE_TEMPLATES``. Returns (new template, dropped template ids).
    """
    person_id = failure.person_id
    template = FaceTemplate(person_id=person_id, encoding_json=failure.face_encoding_json,
                            created_at=at, source=TEMPLATE_STAFF_CONFIRMED,
                            verification_failure_id=failure.id)
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


@dataclass
class Erased:
    """What ``erase_biometrics`` deleted (counts, for the audit log)."""

    faces: int
    voice_template: int
    voice_samples: int
    failure_samples: int

    def detail(self) -> str:
        return (f"faces={self.faces} voice_template={self.voice_template} "
                f"voice_samples={self.voice_samples} failure_samples={self.failure_samples}")


def erase_biometrics(session: Session, files: FileTxn, person: Person) -> Erased:
    """Delete the person's face templates, voice template and recordings, and the face
    samples of their failed checks; check-ins, snapshots and other records stay."""
    faces = list(session.scalars(select(FaceTemplate).where(FaceTemplate.person_id == person.id)))
    samples = list(session.scalars(select(VoiceSample).where(VoiceSample.person_id == person.id)))
    template = session.scalar(select(VoiceTemplate).where(VoiceTemplate.person_id == person.id))
    for row in faces + samples + ([template] if template else []):
        session.delete(row)
    for sample in samples:
        files.obsolete(sample.path)
    cleared = session.execute(
        update(VerificationFailure)
        .where(VerificationFailure.person_id == person.id,
               VerificationFailure.face_encoding_json.is_not(None))
        .values(face_encoding_json=None)
        .execution_options(synchronize_session=False)).rowcount
    return Erased(len(faces), 1 if template else 0, len(samples), cleared)
