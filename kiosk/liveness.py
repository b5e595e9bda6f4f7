"""Active liveness: a random sequence of challenges answered in front of the camera.

A `LivenessSession` is fed camera frames with their timestamps and judges, from dlib's
68 landmarks, whether the person blinks, turns left/right or opens the mouth when asked.
It fails at once on several faces, on a face that jumps or changes identity, and it
never passes a face that shows no non-rigid motion (a picture moved by hand).

Directions are the person's own: ``turn_left`` means the person turns to their left,
which moves the nose towards the image right of an unmirrored camera; set
``LivenessConfig.mirrored`` when the frames are already mirrored.
Thresholds were set on ../shared/data/liveness (see bench/liveness_bench.py); no clip
there shows a deliberate head turn or wide-open mouth, so those two are uncalibrated.
"""

from __future__ import annotations

import random
from typing import Sequence

import numpy as np

from kiosk.liveness_config import (
    BLINK, CHALLENGES, FAILED, OPEN_MOUTH, PASSED, PROMPT_LOOK, REASONS, RUNNING, TURN_LEFT,
    TURN_RIGHT, TURNS, LivenessConfig, LivenessState, draw_challenges, prompt_key,
)
from kiosk.liveness_features import (
    BlinkDetector, FaceFrame, LandmarkExtractor, MotionMeter, eye_aspect_ratio, inter_ocular,
    mouth_aspect_ratio, yaw_proxy,
)

__all__ = [
    "BLINK", "CHALLENGES", "FAILED", "OPEN_MOUTH", "PASSED", "PROMPT_LOOK", "REASONS", "RUNNING",
    "TURN_LEFT", "TURN_RIGHT", "TURNS", "FaceFrame", "LandmarkExtractor", "LivenessConfig",
    "LivenessSession", "LivenessState", "draw_challenges", "prompt_key",
]


class LivenessSession:
    """One liveness attempt: feed frames, read the state, stop when `state.done`."""

    def __init__(self, config: LivenessConfig | None = None, rng: random.Random | None = None,
                 challenges: Sequence[str] | None = None,
                 extractor: LandmarkExtractor | None = None) -> None:
        """Draw the challenges (or take `challenges`); the extractor loads dlib lazily."""
        self.config = config or LivenessConfig()
        self._rng = rng or random.Random()
        self.sequence = list(challenges) if challenges else draw_challenges(self._rng, self.config)
        unknown = [c for c in self.sequence if c not in CHALLENGES]
        if unknown:
            raise ValueError(f"unknown challenge(s): {unknown}")
        self._extractor = extractor
        self._blinks = BlinkDetector(self.config.blink_close_ratio, self.config.blink_open_ratio,
                                     self.config.blink_min_frames)
        self._motion = MotionMeter(self.config.motion_window_s)
        self._fallback_used = False
        self._t0: float | None = None
        self._first_face_t: float | None = None
        self._last_face: tuple[float, np.ndarray, float] | None = None  # t, centre, iod
        self._yaws: list[float] = []
        self._yaw_base: float | None = None
        self._multi = 0
        self._identity: np.ndarray | None = None
        self._enc_t: float | None = None
        self._ear = self._yaw = self._mar = 0.0
        self._blinked = self._face_now = False
        self._step = 0
        self._challenge_t: float | None = None
        self._reset_challenge()
        self._completed: list[str] = []
        self._state = self._make(RUNNING, 0.0, 0.0)

    # -- public --------------------------------------------------------------------------
    @property
    def state(self) -> LivenessState:
        """The latest state."""
        return self._state

    def needs_encoding(self, t: float) -> bool:
        """True when the next frame should carry a 128-d encoding for the identity check."""
        every = self.config.identity_check_s
        return every is not None and (self._enc_t is None or t - self._enc_t >= every)

    def feed(self, frame_bgr: np.ndarray, t: float) -> LivenessState:
        """Process one camera frame taken at time `t` (seconds, any origin)."""
        if self._state.done:
            return self._state
        if self._extractor is None:
            self._extractor = LandmarkExtractor()
        return self.feed_observation(self._extractor.extract(frame_bgr, self.needs_encoding(t)), t)

    def feed_observation(self, obs: FaceFrame, t: float) -> LivenessState:
        """Process an already extracted frame (tests and the bench replay these)."""
        if self._state.done:
            return self._state
        if self._t0 is None:
            self._t0 = t
        reason = self._check_scene(obs, t)
        if reason:
            return self._finish(FAILED, t, reason)
        self._face_now = obs.has_face
        if obs.has_face:
            self._observe_face(obs, t)
        if self._yaw_base is None:
            return self._baseline_step(t)
        return self._challenge_step(obs, t)

    # -- scene checks --------------------------------------------------------------------
    def _check_scene(self, obs: FaceFrame, t: float) -> str | None:
        """Reason to fail on face count, face continuity and identity; None if fine."""
        cfg = self.config
        assert self._t0 is not None
        if not obs.has_face:
            self._multi = 0
            self._enc_t = None  # check the identity again when a face comes back
            self._blinks.reset_closure()
            if self._last_face is None:
                return "no_face" if t - self._t0 > cfg.no_face_timeout_s else None
            return "no_face" if t - self._last_face[0] > cfg.face_lost_s else None
        self._multi = self._multi + 1 if obs.comparable_faces(cfg.multi_face_ratio) > 1 else 0
        if self._multi >= cfg.multi_face_frames:
            return "multiple_faces"
        points = obs.landmarks
        centre, iod = points[27:48].mean(axis=0), inter_ocular(points)
        if self._last_face is not None:
            last_t, last_centre, last_iod = self._last_face
            allowed = cfg.jump_iod + cfg.jump_iod_per_s * max(0.0, t - last_t)
            ratio = iod / max(last_iod, 1e-6)
            if (np.linalg.norm(centre - last_centre) / last_iod > allowed
                    or not 1.0 / cfg.scale_jump <= ratio <= cfg.scale_jump):
                return "face_changed"
        self._last_face = (t, centre, iod)
        if obs.encoding is not None:
            self._enc_t = t
            if iod >= cfg.identity_min_iod:  # compared with the previous check: drift allowed
                if (self._identity is not None
                        and np.linalg.norm(obs.encoding - self._identity) > cfg.identity_distance):
                    return "face_changed"
                self._identity = obs.encoding
        return None

    def _observe_face(self, obs: FaceFrame, t: float) -> None:
        """Update the blink counter and the non-rigid motion score."""
        points = obs.landmarks
        self._motion.update(points, t)
        aligned = self._motion.aligned if self._motion.aligned is not None else points
        self._ear = eye_aspect_ratio(aligned)  # a tilted picture cannot fake a blink
        self._yaw = yaw_proxy(points) * (-1.0 if self.config.mirrored else 1.0)
        self._mar = mouth_aspect_ratio(points)
        self._blinked = self._blinks.update(self._ear, t)
        if self._first_face_t is None:
            self._first_face_t = t

    # -- challenge logic -----------------------------------------------------------------
    def _baseline_step(self, t: float) -> LivenessState:
        """Collect the person's frontal yaw (while facing the camera) before the first prompt."""
        if self._face_now and abs(self._yaw) <= self.config.baseline_max_yaw:
            self._yaws.append(self._yaw)
            if (t - self._first_face_t >= self.config.baseline_s
                    and len(self._yaws) >= self.config.baseline_min_frames):
                self._yaw_base = float(np.median(self._yaws))
                self._challenge_t = t
        if (self._yaw_base is None and self._first_face_t is not None
                and t - self._first_face_t > self.config.challenge_timeout_s):
            return self._finish(FAILED, t, self._timeout_reason())  # never faced the camera
        return self._set(RUNNING, t, 0.0)

    def _static(self) -> bool:
        """True when the face never deformed: no non-rigid motion and no blink."""
        return self._motion.best_score < self.config.motion_threshold and self._blinks.count == 0

    def _timeout_reason(self) -> str:
        """static_image when the face never deformed, else timeout."""
        return "static_image" if self._static() else "timeout"

    def _reset_challenge(self) -> None:
        """Per-challenge counters."""
        self._armed = False
        self._hold = 0
        self._wrong = 0
        self._mouth_since: float | None = None

    def _challenge_step(self, obs: FaceFrame, t: float) -> LivenessState:
        """Judge the current challenge on this frame."""
        cfg = self.config
        challenge = self.sequence[self._step]
        progress = self._state.progress
        if self._face_now:
            outcome, progress = self._judge(challenge, t)
            if outcome == "wrong":
                return self._finish(FAILED, t, "wrong_action")
            if outcome == "done":
                self._completed.append(challenge)
                self._step += 1
                self._reset_challenge()
                self._challenge_t = t
                if self._step >= len(self.sequence):
                    if self._static():
                        return self._finish(FAILED, t, "static_image")
                    return self._finish(PASSED, t, None)
                return self._set(RUNNING, t, 0.0)
        assert self._challenge_t is not None
        if t - self._challenge_t > cfg.challenge_timeout_s:
            if challenge == BLINK and cfg.blink_fallback and not self._fallback_used:
                self._fallback_used = True
                spare = [c for c in CHALLENGES if c != BLINK and c not in self.sequence]
                spare = spare or [c for c in CHALLENGES if c != BLINK]
                self.sequence[self._step] = self._rng.choice(spare)
                self._reset_challenge()
                self._challenge_t = t
                return self._set(RUNNING, t, 0.0)
            return self._finish(FAILED, t, self._timeout_reason())
        return self._set(RUNNING, t, progress)

    def _judge(self, challenge: str, t: float) -> tuple[str | None, float]:
        """("done" | "wrong" | None, progress) for the current frame."""
        cfg = self.config
        assert self._yaw_base is not None
        dyaw = self._yaw - self._yaw_base
        if abs(dyaw) <= cfg.centre_yaw:
            self._armed = True
        want = {TURN_LEFT: 1.0, TURN_RIGHT: -1.0}.get(challenge, 0.0)
        turned = dyaw >= cfg.turn_yaw or dyaw <= -cfg.turn_yaw
        if self._armed and turned and np.sign(dyaw) != want:
            self._wrong += 1  # a turn the other way, or any turn during blink/mouth
            if self._wrong >= cfg.turn_hold_frames:
                return "wrong", 0.0
        else:
            self._wrong = 0
        if challenge in TURNS:
            reach = want * dyaw
            self._hold = self._hold + 1 if self._armed and reach >= cfg.turn_yaw else 0
            if self._hold >= cfg.turn_hold_frames:
                return "done", 1.0
            return None, float(np.clip(reach / cfg.turn_yaw, 0.0, 0.99)) if self._armed else 0.0
        if challenge == BLINK:
            if self._blinked and self._blinks.blink_times[-1] > (self._challenge_t or 0.0):
                return "done", 1.0
            return None, 0.5 if self._blinks.eyes_closed else 0.0
        if self._mar >= cfg.mouth_mar:
            self._mouth_since = t if self._mouth_since is None else self._mouth_since
            if t - self._mouth_since >= cfg.mouth_hold_s:
                return "done", 1.0
            return None, 0.5 + 0.49 * (t - self._mouth_since) / cfg.mouth_hold_s
        self._mouth_since = None
        return None, float(np.clip(0.5 * self._mar / cfg.mouth_mar, 0.0, 0.5))

    # -- state ---------------------------------------------------------------------------
    def _make(self, status: str, t: float, progress: float,
              reason: str | None = None) -> LivenessState:
        """Build a state snapshot."""
        running = status == RUNNING and self._yaw_base is not None
        challenge = None
        if running and self._step < len(self.sequence):
            challenge = self.sequence[self._step]
        return LivenessState(status, challenge, prompt_key(challenge), float(progress),
                             min(self._step, len(self.sequence)), len(self.sequence),
                             tuple(self._completed), reason,
                             0.0 if self._t0 is None else t - self._t0, tuple(self.sequence))

    def _set(self, status: str, t: float, progress: float) -> LivenessState:
        """Record and return a running state."""
        self._state = self._make(status, t, progress)
        return self._state

    def _finish(self, status: str, t: float, reason: str | None) -> LivenessState:
        """Record and return the verdict."""
        self._state = self._make(status, t, 1.0 if status == PASSED else 0.0, reason)
        return self._state

    @property
    def motion_score(self) -> float:
        """Highest non-rigid motion score seen so far (for logs and the bench)."""
        return self._motion.best_score

    @property
    def blink_count(self) -> int:
        """Blinks seen so far in the whole session."""
        return self._blinks.count
