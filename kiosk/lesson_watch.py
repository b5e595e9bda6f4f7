"""The silent face check during a lesson: one camera frame against the verified person.

Cheap on purpose: one frame every ``CreditPolicy.check_every_s`` seconds, the kiosk's own
``FaceEngine`` (HOG on a 320 px copy, one plain 128-d encoding, no mirror, no jitter) and
the distance to the centroid of the person's enrolled templates. No liveness here: the
person was fully verified (face, liveness, voice) before the lesson began; the check
only asks "is the same person still in front of the camera?".
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from kiosk.lesson_credit import Seen

# Configuration key ``lesson_face_max_distance``: the largest dlib distance from the
# person's centroid still counted as the same person. Measured (docs/LESSON_CREDIT.md):
# the same person in one sitting 0.15-0.39 on the real clips; East Asian photos of other
# persons fall under 0.45 for 4 % of probes, under 0.50 for 16 %.
DEFAULT_MAX_DISTANCE = 0.45


@dataclass(frozen=True)
class CheckResult:
    seen: Seen
    distance: float | None  # to the person's centroid; None when no face
    faces: int
    cost_s: float           # wall time the check took


class FaceCheck:
    """Judges frames against one person's templates with a shared ``FaceEngine``."""

    def __init__(self, engine: Any, templates: Sequence[np.ndarray],
                 max_distance: float = DEFAULT_MAX_DISTANCE) -> None:
        if not len(templates):
            raise ValueError("the person has no face template")
        self.engine = engine
        self.centroid = np.mean(np.asarray(templates, dtype=np.float64), axis=0)
        self.max_distance = float(max_distance)

    def check(self, frame_bgr: np.ndarray | None) -> CheckResult:
        """present / absent / other for one frame (largest face decides)."""
        started = time.perf_counter()
        observation = None if frame_bgr is None else self.engine.observe(
            frame_bgr, flip=False, num_jitters=1)
        if observation is None:
            return CheckResult(Seen.absent, None, 0, time.perf_counter() - started)
        distance = float(np.linalg.norm(observation.encoding - self.centroid))
        seen = Seen.present if distance <= self.max_distance else Seen.other
        return CheckResult(seen, distance, observation.faces_found,
                           time.perf_counter() - started)
