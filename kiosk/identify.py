"""Who is standing at the kiosk: a background watcher over camera frames.

The camera is read by one pump thread that keeps the latest frame (for the preview
and for identification). The watcher, when active, looks for a face, gathers encodings
from several frames and asks the roster index for a candidate (1:N, strict threshold and
margin) or checks the claimed person (1:1, ID card or number). A face match only
proposes: `kiosk.confirm` then asks for liveness and the voice before the person is
"identified". Every failed attempt is reported to the core (reason, evidence); after the
allowed attempts the watcher stops and the core calls staff, so nobody is left at a
dead end.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from kiosk.errors import FlowError
from kiosk.identify_state import IdentityState

log = logging.getLogger(__name__)
__all__ = ["CameraPump", "FailedAttempt", "IdentityState", "IdentityWatcher"]


@dataclass
class FailedAttempt:
    """One failed identity attempt, for the core to record (kiosk.flows.verification)."""

    reason: str
    stage: str
    person_id: int | None
    claimed: bool
    attempt: int
    frame: np.ndarray | None = field(default=None, repr=False)
    encodings: list[np.ndarray] = field(default_factory=list, repr=False)
    face_distance: float | None = None
    voice_score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    final: bool = False  # the watcher stops here and staff are called (set by the watcher)


class CameraPump:
    """Reads the camera at a steady rate and keeps the latest frame."""

    def __init__(self, camera: Any, fps: float = 12.0) -> None:
        self.camera = camera
        self.period = 1.0 / fps
        self._frame: np.ndarray | None = None
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.camera.open()
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.camera.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self.camera.read()
            except Exception:  # a driver fault must not kill the pump; health shows it
                log.exception("camera read failed")
                frame = None
            with self._lock:
                self._frame = frame
                self._seq += 1
            self._stop.wait(self.period)

    def latest(self) -> tuple[int, np.ndarray | None]:
        with self._lock:
            return self._seq, self._frame


class IdentityWatcher:
    """Turns frames into an ``IdentityState``; active only while the idle screen asks."""

    def __init__(self, pump: CameraPump, engine: Any, index_factory: Callable[[], Any],
                 frames_needed: int = 3, retry_after_s: float = 4.0, max_attempts: int = 3,
                 on_failure: Callable[[FailedAttempt], None] | None = None,
                 confirmer: Any = None, describe: Callable[[int], str] | None = None,
                 poll_card: Callable[[], int | None] | None = None, encode_every: int = 3) -> None:
        self.pump, self.engine = pump, engine
        self.index_factory = index_factory
        self.frames_needed = frames_needed
        self.retry_after_s = retry_after_s
        self.max_attempts = max_attempts
        self.on_failure = on_failure  # called from this thread after each failed attempt
        self.confirmer = confirmer  # None: the face alone identifies (tests of the face stage)
        self.describe = describe or (lambda _pid: "")
        self.poll_card = poll_card
        # Every frame is tracked (position, quality hint); every `encode_every`-th good
        # frame is encoded (kiosk.face_tracker: ~4 ms a frame vs ~100 ms with an encoding).
        self.encode_every = max(1, encode_every)
        self._face_tracker = None
        self.attempts = 0
        self.state = IdentityState("idle")
        self.best_frame: np.ndarray | None = None
        # A person claimed by ID number or card: then the face is checked 1:1 against them.
        self.claimed: int | None = None
        self._active = threading.Event()
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._generation = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="identify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._cancel.set()
        self._active.set()
        if self._thread:
            self._thread.join(timeout=10)

    def begin(self, claimed: int | None = None) -> None:
        self._cancel.set()  # ends a confirmation still running for someone else
        self._generation += 1
        self.claimed = claimed
        self.attempts = 0
        self.best_frame = None
        self.state = IdentityState("waiting", claimed=claimed is not None,
                                   display_name=self.describe(claimed) if claimed else "")
        self._active.set()

    def cancel(self) -> None:
        self._active.clear()
        self._cancel.set()
        self._generation += 1
        self.claimed = None
        self.state = IdentityState("idle")

    def _run(self) -> None:
        encodings: list[np.ndarray] = []
        last_seq, hold_until, next_card, skipped = -1, 0.0, 0.0, 0
        generation = self._generation
        while not self._stop.is_set():
            if not self._active.wait(0.5):
                encodings.clear()
                continue
            if generation != self._generation:
                generation = self._generation
                encodings.clear()
                hold_until = 0.0
                self._tracker().reset()
            now = time.monotonic()
            if self.poll_card is not None and self.claimed is None and now >= next_card:
                next_card = now + 1.0
                self._check_card(encodings)
            seq, frame = self.pump.latest()
            if seq == last_seq:
                time.sleep(0.02)
                continue
            last_seq = seq
            if frame is None:
                encodings.clear()
                self._set(IdentityState("camera_unavailable", message_key="idle.error.camera"))
                time.sleep(0.2)
                continue
            if time.monotonic() < hold_until:
                continue
            try:
                tracked = self._tracker().update(frame)
            except Exception:
                log.exception("face tracking failed")
                tracked = None
            if tracked is None:
                encodings.clear()
                self._set(self._base("waiting", "idle.prompt.step_up"))
                continue
            hint = "face.hint.one_person" if tracked.faces_found > 1 else tracked.hint
            if hint is not None:
                encodings.clear()
                self._set(replace(self._base("looking", hint), hint_key=hint))
                continue
            self._set(self._base("looking", "idle.prompt.hold_still"))
            skipped += 1
            if skipped < self.encode_every:
                continue  # follow the face at the camera's rate, encode a few frames a second
            skipped = 0
            try:
                obs = self._tracker().observe(frame, tracked)
            except Exception:
                log.exception("face encoding failed")
                obs = None
            if obs is None:
                continue
            encodings.append(obs.encoding)
            if len(encodings) < self.frames_needed:
                continue
            fused = list(encodings)
            encodings.clear()
            self._attempt(frame, fused, generation)
            if self.state.status not in ("identified",):
                hold_until = time.monotonic() + self.retry_after_s

    def _tracker(self):
        """The face tracker of this thread (created on first use: it loads dlib)."""
        if self._face_tracker is None:
            from kiosk.face_tracker import FaceTracker

            self._face_tracker = FaceTracker(self.engine)
        return self._face_tracker

    def _check_card(self, encodings: list[np.ndarray]) -> None:
        try:
            person_id = self.poll_card()
        except FlowError as exc:
            self._set(IdentityState("not_recognised", message_key=exc.message_key))
            return
        except Exception:
            log.exception("reading the ID card failed")
            return
        if person_id is not None:
            encodings.clear()
            self.begin(claimed=person_id)

    def _base(self, status: str, key: str) -> IdentityState:
        claimed = self.claimed
        return IdentityState(status, claimed, message_key=key, claimed=claimed is not None,
                             display_name=self.describe(claimed) if claimed else "",
                             attempts_left=max(0, self.max_attempts - self.attempts))

    def _attempt(self, frame: np.ndarray, encodings: list[np.ndarray], generation: int) -> None:
        """One attempt: the face proposes, the confirmer (liveness, voice) decides."""
        index = self.index_factory()
        claimed = self.claimed
        result = (index.verify(claimed, encodings) if claimed is not None
                  else index.identify(encodings))
        if result.person_id is None:
            self._failed(FailedAttempt("face_mismatch", "face", claimed if claimed is not None
                                       else result.best_candidate, claimed is not None,
                                       self.attempts + 1, frame, encodings, result.distance),
                         "idle.error.not_recognised_claimed" if claimed is not None
                         else "idle.error.not_recognised")
            return
        person_id = result.person_id
        if self.confirmer is None:
            self._identified(person_id, result, frame)
            return
        self._cancel.clear()
        base = IdentityState("liveness", person_id, display_name=self.describe(person_id),
                             claimed=claimed is not None,
                             attempts_left=max(0, self.max_attempts - self.attempts))
        try:
            outcome = self.confirmer.confirm(person_id, base, self._set_if(generation), self._cancel,
                                             face_result=result)
        except Exception:
            log.exception("identity confirmation failed")
            outcome = None
        if generation != self._generation or not self._active.is_set():
            return  # the person walked away or started again: nothing to count
        if outcome is None:
            self._failed(FailedAttempt("no_face", "liveness", person_id, claimed is not None,
                                       self.attempts + 1, frame, encodings), "idle.error.not_recognised")
            return
        if outcome.accepted:
            self._identified(person_id, result, outcome.frame if outcome.frame is not None else frame)
            return
        self._failed(FailedAttempt(outcome.reason, outcome.stage, person_id, claimed is not None,
                                   self.attempts + 1, outcome.frame if outcome.frame is not None
                                   else frame, encodings, result.distance, outcome.voice_score,
                                   outcome.evidence), outcome.message_key,
                     final=outcome.reason == "voice_not_enrolled")

    def _identified(self, person_id: int, result: Any, frame: np.ndarray) -> None:
        self.best_frame = frame
        self._set(IdentityState("identified", person_id, float(result.score or 0.0),
                                "idle.prompt.identified", display_name=self.describe(person_id)))
        self._active.clear()

    def _failed(self, failure: FailedAttempt, message_key: str, final: bool = False) -> None:
        self.attempts += 1
        failure.final = final or self.attempts >= self.max_attempts
        if self.on_failure is not None:
            try:
                self.on_failure(failure)
            except Exception:  # recording must not stop identification
                log.exception("recording a failed attempt failed")
        if failure.final:
            # No dead end: stop trying and send for a person (the core calls staff).
            self._set(replace(self._base("staff_called", "idle.error.staff_called"),
                              hint_key=message_key))
            self._active.clear()
        else:
            self._set(replace(self._base("not_recognised", message_key), hint_key=message_key))

    def _set_if(self, generation: int) -> Callable[[IdentityState], None]:
        def publish(state: IdentityState) -> None:
            if generation == self._generation:
                self._set(state)
        return publish

    def _set(self, state: IdentityState) -> None:
        if self._active.is_set():
            self.state = state
