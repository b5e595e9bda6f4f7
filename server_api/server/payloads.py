"""The payload of each terminal event kind, as the contract describes it.

Kept apart from ``events`` (which stores them) so each file stays readable; a payload
that does not validate makes its event "rejected" with ``invalid_event_payload``.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server_api import contract
from server_api.server.models import MAX_ID
from server_api.server.validation import has_control_characters

FACE_TEMPLATE_SIZE = 128
MAX_ATTEMPT = 1000
MAX_VOICE_WAVS = 20
MAX_CHALLENGES = 10
VerificationReason = Literal[contract.VERIFICATION_REASONS]  # type: ignore[valid-type]
VerificationStage = Literal[contract.VERIFICATION_STAGES]  # type: ignore[valid-type]


def _word():
    """A short machine word from the terminal (a liveness or voice reason...)."""
    return Field(default=None, min_length=1, max_length=40)


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    @model_validator(mode="after")
    def _no_control_characters(self):
        # Refused alike on every database (PostgreSQL cannot store NUL, SQLite could).
        for name, value in self:
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and has_control_characters(v) for v in texts):
                raise ValueError(f"{name} contains control characters")
        return self


class CheckinPayload(Payload):
    match_score: float
    snapshot_jpeg_b64: str | None = None


class LeaveRequestPayload(Payload):
    destination: str = Field(min_length=1, max_length=200)
    start_date: dt.date
    end_date: dt.date
    reason: str = Field(min_length=1, max_length=2000)
    frequent: bool = False  # a standing frequent-travel approval (经常性跨市县)

    @model_validator(mode="after")
    def _dates_in_order(self):
        if not self.destination.strip() or not self.reason.strip():
            raise ValueError("destination and reason must not be blank")
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class LeaveReturnPayload(Payload):
    leave_key: str = Field(min_length=8, max_length=64)


class LessonProgressPayload(Payload):
    lesson_id: int = Field(ge=1, le=MAX_ID)
    watched_seconds: float = Field(ge=0)
    position_seconds: float = Field(default=0.0, ge=0)


class LessonCreditPayload(Payload):
    """Running totals of one person's lesson (docs/LESSON_CREDIT.md)."""

    lesson_id: int = Field(ge=1, le=MAX_ID)
    credited_seconds: float = Field(ge=0, le=10 * 24 * 3600)
    furthest_seconds: float = Field(ge=0, le=10 * 24 * 3600)
    position_seconds: float = Field(default=0.0, ge=0, le=10 * 24 * 3600)
    quiz_score: int | None = Field(default=None, ge=0, le=100)
    quiz_total: int | None = Field(default=None, ge=1, le=100)
    quiz_passed: bool | None = None

    @model_validator(mode="after")
    def _quiz_whole(self):
        parts = (self.quiz_score, self.quiz_total, self.quiz_passed)
        if any(p is not None for p in parts) and None in parts:
            raise ValueError("quiz_score, quiz_total and quiz_passed go together")
        if self.quiz_total is not None and self.quiz_score > self.quiz_total:
            raise ValueError("quiz_score is larger than quiz_total")
        return self


class FaceEnrolmentPayload(Payload):
    templates: list[list[float]] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _template_sizes(self):
        if any(len(t) != FACE_TEMPLATE_SIZE for t in self.templates):
            raise ValueError(f"each template must have {FACE_TEMPLATE_SIZE} numbers")
        return self


class VoiceEnrolmentPayload(Payload):
    """A template with its recordings, or (older terminals) one recording alone."""

    template_b64: str | None = Field(default=None, min_length=1)
    model: str = Field(default="", max_length=100)
    wavs_b64: list[str] = Field(default_factory=list, max_length=MAX_VOICE_WAVS)
    wav_b64: str | None = Field(default=None, min_length=1)  # the older form
    seconds: float | None = Field(default=None, gt=0, le=600)  # the older form

    @model_validator(mode="after")
    def _one_form(self):
        if self.template_b64 is not None:
            if not self.wavs_b64:
                raise ValueError("wavs_b64 must hold the enrolment recordings")
            if self.wav_b64 is not None:
                raise ValueError("give wavs_b64, not wav_b64, with template_b64")
        elif self.wavs_b64:
            raise ValueError("template_b64 is required with wavs_b64")
        elif self.wav_b64 is None or self.seconds is None:
            raise ValueError("template_b64 and wavs_b64 are required")
        if any(not w for w in self.wavs_b64):
            raise ValueError("wavs_b64 holds an empty recording")
        return self

    @property
    def recordings(self) -> list[str]:
        return self.wavs_b64 if self.template_b64 is not None else [self.wav_b64]


class StaffCallPayload(Payload):
    screen: str = Field(max_length=50)


class VerificationFailurePayload(Payload):
    reason: VerificationReason
    claimed: bool = False
    face_distance: float | None = Field(default=None, ge=0)
    voice_score: float | None = None
    attempt: int = Field(ge=1, le=MAX_ATTEMPT)
    snapshot_jpeg_b64: str | None = None
    face_encoding: list[float] | None = None
    # Evidence (optional): where the check stopped and the figures of each check.
    stage: VerificationStage | None = None
    liveness_reason: str | None = _word()
    challenges: list[str] | None = Field(default=None, max_length=MAX_CHALLENGES)
    voice_reason: str | None = _word()
    voice_threshold: float | None = None
    lipsync_decision: str | None = _word()
    lipsync_r: float | None = Field(default=None, ge=-1, le=1)
    face_ratio: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _sizes(self):
        if self.face_encoding is not None and len(self.face_encoding) != FACE_TEMPLATE_SIZE:
            raise ValueError(f"face_encoding must have {FACE_TEMPLATE_SIZE} numbers")
        if self.challenges and any(not 1 <= len(c) <= 40 for c in self.challenges):
            raise ValueError("each challenge must be 1 to 40 characters")
        return self
