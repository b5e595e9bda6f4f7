"""Staff mode at the kiosk: the PIN pad, the roster for enrolment, face and voice enrolment.

A mixin of ``KioskCore`` (it uses the core's store, clock, devices and face engine) kept
apart so each file reads in one sitting.
"""
from __future__ import annotations

import logging
import threading

import numpy as np

from devices.base import DeviceError
from kiosk import roster as roster_mod
from kiosk.errors import FlowError
from kiosk.flows import enrolment
from kiosk.views import PersonView
from server_api.names import mask_name

log = logging.getLogger(__name__)
PIN_ATTEMPTS = 5
PIN_LOCK_S = 300


class StaffModeMixin:
    staff_mode: bool = False
    _pin_failures: int = 0
    _pin_locked_until: float = 0.0

    def check_staff_pin(self, pin: str) -> bool:
        """Open staff mode; after ``PIN_ATTEMPTS`` wrong PINs the pad is locked for a while."""
        import hmac

        now = self.clock.monotonic()
        if now < self._pin_locked_until:
            raise FlowError("staff.error.pin_locked", minutes=PIN_LOCK_S // 60)
        if hmac.compare_digest(pin.encode(), self.settings.staff_pin.encode()):
            self._pin_failures = 0
            self.staff_mode = True
            self.note_activity()
            log.info("staff mode opened")
            return True
        self._pin_failures += 1
        if self._pin_failures >= PIN_ATTEMPTS:
            self._pin_failures = 0
            self._pin_locked_until = now + PIN_LOCK_S
            log.warning("staff PIN locked after %d wrong attempts", PIN_ATTEMPTS)
            raise FlowError("staff.error.pin_locked", minutes=PIN_LOCK_S // 60)
        return False

    def roster(self) -> list[PersonView]:
        """For staff: the last four ID digits tell apart two people whose masked names match."""
        self._require_staff()
        return [PersonView(p.id, f"{mask_name(p.name)}（…{p.id_number[-4:]}）", p.case_type)
                for p in roster_mod.persons(self._store())]

    def _require_staff(self) -> None:
        if not self.staff_mode:
            raise FlowError("staff.error.not_signed_in")
        self.note_activity()

    def capture_enrolment_frames(self, count: int = 5, interval_s: float = 0.3) -> list[np.ndarray]:
        self._require_staff()
        frames, last_seq = [], -1
        deadline = self.clock.monotonic() + count * interval_s + 5.0
        while len(frames) < count and self.clock.monotonic() < deadline:
            seq, frame = self.pump.latest()
            if frame is not None and seq != last_seq:
                frames.append(frame.copy())
                last_seq = seq
            threading.Event().wait(interval_s)
        if not frames:
            raise FlowError("idle.error.camera")
        return frames

    def enrol_face(self, person_id: int, frames: list[np.ndarray]) -> int:
        self._require_staff()
        try:
            templates = self._engine.enrol(frames)
        except ValueError as exc:
            raise FlowError("enrol.error.no_face") from exc
        n = enrolment.enrol_face(self._store(), self.clock, person_id, templates)
        self._invalidate_index()
        self._poke()
        return n

    def voice_enrolment_prompt(self) -> str:
        """Digits for one enrolment utterance, spaced for reading (the kiosk prompts
        digit strings at verification too, so the template hears the same kind of speech)."""
        from kiosk.voice_prompt import make_digit_prompt

        return " ".join(make_digit_prompt(length=8))

    def record_voice_sample(self, seconds: float = 4.5):
        """One utterance, checked at once: an unusable clip raises FlowError with the
        instruction (too quiet, clipped, no speech...) so staff redo that one only."""
        self._require_staff()
        try:
            clip = self.microphone.record(seconds)
        except DeviceError as exc:
            raise FlowError(exc.message_key) from exc
        from kiosk.voice import check_audio

        check = check_audio(clip.samples, clip.sample_rate)
        if not check.ok:
            raise FlowError(check.message_key or "voice.no_speech")
        return clip

    def enrol_voice(self, person_id: int, clips: list) -> None:
        """A voice template from 3+ checked utterances (kiosk.voice), sealed and sent."""
        from kiosk.voice import MODEL_VERSION, VoiceError

        self._require_staff()
        try:
            template = self._voice_engine.enrol([(c.samples, c.sample_rate) for c in clips])
        except VoiceError as exc:
            raise FlowError(exc.message_key) from exc
        enrolment.enrol_voice(self._store(), self.clock, person_id, template.to_bytes(),
                              getattr(template, "version", MODEL_VERSION),
                              [c.to_wav_bytes() for c in clips])
        self._invalidate_index()
        self._poke()
