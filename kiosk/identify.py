"""Who is standing at the kiosk: a background watcher over camera frames.

The camera is read by one pump thread that keeps the latest frame (for the preview
and for identification). The watcher, when active, looks for a face, gathers encodings
from several frames and asks the roster index for a candidate. Liveness and voice
confirmation join here in the identity issue; the seam is ``IdentityState``.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentityState:
    status: str  # camera_unavailable | waiting | looking | identified | not_recognised | idle
    person_id: int | None = None
    score: float = 0.0
    message_key: str = "idle.prompt.step_up"


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
                 on_failure: Callable[..., None] | None = None) -> None:
        self.pump, self.engine = pump, engine
        self.index_factory = index_factory
        self.frames_needed = frames_needed
        self.retry_after_s = retry_after_s
        self.max_attempts = max_attempts
        # Called from this thread with (result, frame, encodings, claimed, attempt) after
        # each failed attempt, so the core can record it for staff review.
        self.on_failure = on_failure
        self.attempts = 0
        self.state = IdentityState("idle")
        self.best_frame: np.ndarray | None = None
        # A person claimed by ID number or card: then the face is checked 1:1 against them.
        self.claimed: int | None = None
        self._active = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="identify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._active.set()
        if self._thread:
            self._thread.join(timeout=5)

    def begin(self, claimed: int | None = None) -> None:
        self.claimed = claimed
        self.attempts = 0
        self.state = IdentityState("waiting")
        self.best_frame = None
        self._active.set()

    def cancel(self) -> None:
        self._active.clear()
        self.claimed = None
        self.state = IdentityState("idle")

    def _run(self) -> None:
        encodings: list[np.ndarray] = []
        last_seq = -1
        hold_until = 0.0
        while not self._stop.is_set():
            if not self._active.wait(0.5):
                encodings.clear()
                continue
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
                obs = self.engine.observe(frame)
            except Exception:
                log.exception("face analysis failed")
                obs = None
            if obs is None:
                encodings.clear()
                self._set(IdentityState("waiting"))
                continue
            encodings.append(obs.encoding)
            self._set(IdentityState("looking", message_key="idle.prompt.hold_still"))
            if len(encodings) < self.frames_needed:
                continue
            index = self.index_factory()
            result = (index.verify(self.claimed, encodings) if self.claimed is not None
                      else index.identify(encodings))
            fused = list(encodings)
            encodings.clear()
            if result.person_id is not None:
                self.best_frame = frame
                self._set(IdentityState("identified", result.person_id, float(result.score),
                                        "idle.prompt.identified"))
                self._active.clear()
            else:
                self.attempts += 1
                if self.on_failure is not None:
                    try:
                        self.on_failure(result, frame, list(fused), self.claimed, self.attempts)
                    except Exception:  # recording must not stop identification
                        log.exception("recording a failed attempt failed")
                if self.attempts >= self.max_attempts:
                    # No dead end: stop trying and send for a person (the core calls staff).
                    self._set(IdentityState("not_recognised", message_key="idle.error.staff_called"))
                    self._active.clear()
                else:
                    self._set(IdentityState("not_recognised",
                                            message_key="idle.error.not_recognised"))
                hold_until = time.monotonic() + self.retry_after_s

    def _set(self, state: IdentityState) -> None:
        if self._active.is_set():
            self.state = state
