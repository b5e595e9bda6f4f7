"""After the face: prove liveness, then the voice, before anything is recorded.

`IdentityConfirmer.confirm` runs in the identification thread once the face stage has
proposed (1:N) or verified (1:1) a person. It drives two stages, publishing what the
screen must show through `publish` (an `IdentityState`):

1. Active liveness: a random challenge sequence (kiosk.liveness) judged on camera frames.
2. Voice: a random digit string, shown and spoken; the microphone records while the
   camera follows the mouth (lip-sync) and the face (a last 1:1 check, so nobody can
   step in after the face stage). Unusable audio ("we heard no speech", too quiet,
   clipped) is told apart from a voice that did not match; the policy's `voice_tries`
   allows a second digit string within one attempt.

The verdict is `kiosk.identity_policy.decide` over the stage results, so the rule the
kiosk lives by is the one bench/identity_eval.py measures. Nothing here is kept: the
outcome's evidence (figures, never templates) goes to the failure record.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from kiosk import identity_policy as ip
from kiosk.identify_state import IdentityState

log = logging.getLogger(__name__)

VOICE_NOT_ENROLLED = "voice_not_enrolled"


@dataclass
class Outcome:
    """What one confirmation attempt found; `evidence` holds figures for staff review."""

    accepted: bool
    reason: str  # "accepted" or a reason code of kiosk.identity_policy (or voice_not_enrolled)
    stage: str  # liveness | voice
    message_key: str = "idle.error.not_recognised"
    evidence: dict[str, Any] = field(default_factory=dict)
    frame: np.ndarray | None = None
    voice_score: float | None = None


def _face_figure(result: Any) -> tuple[float, bool] | None:
    """(figure, is_distance) of a face result: the cohort ratio, else the raw distance."""
    if result is None:
        return None
    if getattr(result, "ratio", None) is not None:
        return float(result.ratio), False
    if getattr(result, "distance", None) is not None:
        return float(result.distance), True
    return None


class IdentityConfirmer:
    """Liveness and voice for one proposed person; see the module docstring."""

    def __init__(self, *, pump: Any, extractor_factory: Callable[[], Any], voice_engine: Any,
                 microphone: Any, speaker_say: Callable[..., None], speaker_wait: Callable[[float], Any],
                 policy: Any, liveness_config: Any, challenge_pool: Sequence[str] | None,
                 voice_template: Callable[[int], Any], voice_cohort: Callable[[int], Any],
                 face_verify: Callable[[int, list[np.ndarray]], Any],
                 record_seconds: float = 4.5, rng: random.Random | None = None) -> None:
        self.pump = pump
        self._extractor_factory = extractor_factory
        self._extractor = None
        self.voice_engine = voice_engine
        self.microphone = microphone
        self.say, self.wait_speech = speaker_say, speaker_wait
        self.policy = policy
        self.liveness_config = liveness_config
        self.challenge_pool = tuple(challenge_pool) if challenge_pool else None
        self.voice_template, self.voice_cohort = voice_template, voice_cohort
        self.face_verify = face_verify
        self.record_seconds = record_seconds
        self.rng = rng or random.SystemRandom()

    # -- public -------------------------------------------------------------------------
    def confirm(self, person_id: int, base: IdentityState, publish: Callable[[IdentityState], None],
                cancelled: threading.Event, face_result: Any = None) -> Outcome:
        """Run the stages for `person_id`; `base` carries the person's masked name and
        `face_result` (kiosk.face.IdentifyResult) the face figure the policy couples with
        the voice: a weak face match needs a clearer voice."""
        if self._extractor is None:
            self._extractor = self._extractor_factory()
        liveness = None
        if self.policy.require_liveness:
            liveness = self._liveness(base, publish, cancelled)
            if not liveness.accepted:
                return liveness
        if not self.policy.require_voice:
            return Outcome(True, ip.ACCEPTED, "liveness", evidence=liveness.evidence if liveness else {})
        blob = self.voice_template(person_id)
        if blob is None:
            return Outcome(False, VOICE_NOT_ENROLLED, "voice", "verify.error.voice_not_enrolled")
        outcome = self._voice(person_id, blob, base, publish, cancelled, _face_figure(face_result))
        if liveness is not None:
            outcome.evidence = {**liveness.evidence, **outcome.evidence}
        return outcome

    # -- liveness -----------------------------------------------------------------------
    def _challenges(self) -> list[str] | None:
        if not self.challenge_pool:
            return None  # kiosk.liveness draws from every challenge, with a turn
        cfg = self.liveness_config
        count = min(len(self.challenge_pool),
                    self.rng.randint(cfg.min_challenges, max(cfg.min_challenges, cfg.max_challenges)))
        return self.rng.sample(list(self.challenge_pool), max(1, count))

    def _liveness(self, base: IdentityState, publish, cancelled) -> Outcome:
        from kiosk.liveness import LivenessSession

        session = LivenessSession(self.liveness_config, random.Random(self.rng.random()),
                                  challenges=self._challenges(), extractor=self._extractor)
        spoken, last_seq, frame = None, -1, None
        state = session.state
        while not state.done:
            if cancelled.is_set():
                return Outcome(False, ip.LIVENESS_FAILED, "liveness", evidence={"liveness_reason": "cancelled"})
            seq, frame = self.pump.latest()
            if seq == last_seq or frame is None:
                time.sleep(0.01)
                continue
            last_seq = seq
            state = session.feed(frame, time.monotonic())
            if state.prompt_key != spoken:
                spoken = state.prompt_key
                self.say(spoken)
            publish(replace(base, status="liveness", message_key=state.prompt_key,
                            challenge=state.challenge, progress=state.progress,
                            step=state.step, total=state.total))
        evidence = {"challenges": list(state.sequence), "liveness_reason": state.reason}
        if state.passed:
            return Outcome(True, ip.ACCEPTED, "liveness", evidence=evidence, frame=frame)
        log.info("liveness failed: %s", state.reason)
        return Outcome(False, ip.LIVENESS_FAILED, "liveness", f"liveness.failed.{state.reason}",
                       evidence=evidence, frame=frame)

    # -- voice --------------------------------------------------------------------------
    def _voice(self, person_id: int, blob: bytes, base: IdentityState, publish, cancelled,
               face_figure: tuple[float, bool] | None) -> Outcome:
        """Digit strings until the policy decides: the usable utterances of one attempt are
        judged together (VoiceEngine.judge), as bench/identity_eval.py measures them."""
        from kiosk.lipsync import assess_lipsync
        from kiosk.voice import VoiceTemplate
        from kiosk.voice_prompt import make_digit_prompt

        template = VoiceTemplate.from_bytes(blob)
        cohort = self.voice_cohort(person_id)
        figure, is_distance = face_figure if face_figure else (0.0, False)
        probes: list[Any] = []
        encodings: list[np.ndarray] = []
        lipsync_ok: bool | None = None
        outcome = Outcome(False, ip.NO_SPEECH, "voice", "voice.no_speech")
        while True:
            digits = " ".join(make_digit_prompt(self.rng))
            retry_key = outcome.message_key if probes else None
            state = replace(base, status="voice", message_key="verify.voice.read_digits",
                            digits=digits, recording=False, hint_key=retry_key)
            publish(state)
            if retry_key:
                self.say(retry_key)
            self.say("verify.voice.read_digits_spoken", digits=digits)
            self.wait_speech(15.0)
            if cancelled.is_set():
                return Outcome(False, ip.NO_SPEECH, "voice", evidence={"voice_reason": "cancelled"})
            publish(replace(state, recording=True, message_key="verify.voice.recording"))
            clip, track, seen, frame, t0 = self._record_with_camera()
            encodings += seen
            probes.append(self.voice_engine.probe(clip.samples, clip.sample_rate))
            result = self.voice_engine.judge(template, probes, cohort)
            sync = assess_lipsync(track, clip.samples, clip.sample_rate, t0)
            verdict = ip.lipsync_verdict(sync.decision, self.policy)
            if verdict is not None:  # one still mouth during speech fails the attempt
                lipsync_ok = verdict if lipsync_ok is None else (lipsync_ok and verdict)
            face = self.face_verify(person_id, encodings) if encodings else None
            decision = ip.decide(
                figure, result.score, True, self.policy,
                face_matched=face is None or bool(face.matched), face_is_distance=is_distance,
                lipsync_passed=lipsync_ok, voice_matched=result.accepted,
                voice_margin=result.margin)
            evidence = {"voice_reason": result.reason, "voice_threshold": result.threshold,
                        "lipsync_decision": sync.decision,
                        "lipsync_r": None if sync.correlation is None else round(sync.correlation, 3),
                        "voice_utterances": len(probes)}
            key = {ip.NO_SPEECH: result.message_key or "voice.no_speech",
                   ip.LIPSYNC_FAILED: "verify.error.lipsync",
                   ip.FACE_MISMATCH: "verify.error.face_changed"}.get(decision.reason_code,
                                                                       "voice.mismatch")
            outcome = Outcome(decision.accepted, decision.reason_code, "voice", key,
                              evidence=evidence, frame=frame, voice_score=result.score)
            if not ip.wants_another_utterance(decision, len(probes), self.policy):
                return outcome

    def _record_with_camera(self):
        """Record the microphone while following the mouth and sampling the face."""
        box: dict[str, Any] = {}

        def record():
            box["t0"] = time.monotonic()
            try:
                box["clip"] = self.microphone.record(self.record_seconds)
            except Exception as exc:  # a device fault is "no speech heard", reported by health
                log.warning("microphone failed during verification: %s", exc)
                box["clip"] = None

        thread = threading.Thread(target=record, name="verify-mic", daemon=True)
        thread.start()
        track: list[tuple[float, float | None]] = []
        encodings: list[np.ndarray] = []
        last_seq, frame, best = -1, None, None
        from kiosk.liveness_features import mouth_opening

        while thread.is_alive():
            seq, frame = self.pump.latest()
            if seq == last_seq or frame is None:
                time.sleep(0.01)
                continue
            last_seq = seq
            t = time.monotonic()
            want = len(encodings) < 2 and len(track) % 8 == 4
            obs = self._extractor.extract(frame, want_encoding=want)
            track.append((t, mouth_opening(obs.landmarks) if obs.landmarks is not None else None))
            if obs.encoding is not None:
                encodings.append(obs.encoding)
                best = frame
        thread.join()
        clip = box.get("clip")
        if clip is None:
            from devices.audio import AudioClip

            clip = AudioClip(np.zeros(0, dtype=np.int16), 16000)
        return clip, track, encodings, best if best is not None else frame, box.get("t0", 0.0)
