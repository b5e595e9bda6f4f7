"""Face detection, 128-d encoding (dlib via face_recognition) and fused 1:N identification."""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping, Sequence

import cv2
import numpy as np

_LOG = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # top, right, bottom, left in full-frame pixels
PersonId = Hashable  # whatever the roster uses (database id or code)

# Calibrated on ../shared/data/faces (dlib distance to a person's template centroid, one
# probe photo): at 0.30 / 0.05 no unenrolled East Asian face was identified against a roster
# of the 24 other East Asian people (0 of 2,600 trials); the closest look-alike pair sits at
# 0.31. Genuine East Asian photos were found 47 % of the time with 3 templates, 35 % with 2.
DEFAULT_THRESHOLD = 0.30
DEFAULT_MARGIN = 0.05


class EnrolmentError(ValueError):
    """Enrolment could not collect enough usable faces; `message_key` is for the UI."""

    def __init__(self, message_key: str, detail: str = "") -> None:
        """Keep the translation key and a log detail."""
        super().__init__(message_key if not detail else f"{message_key}: {detail}")
        self.message_key = message_key
        self.detail = detail


@dataclass(frozen=True)
class FaceObservation:
    """The chosen face of one frame: its box, 128-d encoding and simple quality figures."""

    box: Box
    encoding: np.ndarray = field(repr=False)
    quality: dict[str, float]
    faces_found: int = 1


@dataclass(frozen=True)
class IdentifyResult:
    """Outcome of a 1:N search; `person_id` is None unless reason == "matched"."""

    person_id: PersonId | None
    distance: float | None
    score: float | None
    runner_up_distance: float | None
    reason: str  # "matched" | "no_match" | "ambiguous" | "empty_roster" | "not_enrolled" (verify)
    best_candidate: PersonId | None = None  # nearest person even when not matched (for staff review)

    @property
    def matched(self) -> bool:
        """True when a person was identified."""
        return self.reason == "matched"


# dlib's detector and encoder objects are shared module globals of face_recognition and
# are not safe to use from two threads at once (seen: a segfault when the warm-up thread
# and the identification thread detected at the same moment). Every call holds this lock.
_DLIB_LOCK = threading.Lock()


class _Library:
    """Lazy, thread-safe loader of the face_recognition module (about 1 s of model loading)."""

    def __init__(self) -> None:
        """Nothing is imported yet."""
        self._module: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The face_recognition module, imported on first use."""
        if self._module is None:
            with self._lock:
                if self._module is None:
                    with warnings.catch_warnings():  # face_recognition_models uses pkg_resources
                        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                        import face_recognition  # noqa: PLC0415 - deliberately lazy

                    self._module = face_recognition
        return self._module


_LIBRARY = _Library()


def _quality(frame_bgr: np.ndarray, box: Box) -> dict[str, float]:
    """Face width in px, sharpness (variance of the Laplacian) and mean brightness of the crop."""
    top, right, bottom, left = box
    crop = frame_bgr[top:bottom, left:right]
    if crop.size == 0:
        return {"face_width": float(right - left), "sharpness": 0.0, "brightness": 0.0}
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return {
        "face_width": float(right - left),
        "sharpness": float(cv2.Laplacian(grey, cv2.CV_64F).var()),
        "brightness": float(grey.mean()),
    }


def _choose_face(boxes: Sequence[Box], width: int, height: int, tie: float = 0.9) -> Box:
    """Largest face; faces within `tie` of the largest area count as equal and the most central wins."""
    areas = [max(0, b[2] - b[0]) * max(0, b[1] - b[3]) for b in boxes]
    largest = max(areas)
    cx, cy = width / 2.0, height / 2.0

    def off_centre(box: Box) -> float:
        """Squared distance of the box centre from the frame centre."""
        top, right, bottom, left = box
        return ((left + right) / 2.0 - cx) ** 2 + ((top + bottom) / 2.0 - cy) ** 2

    candidates = [b for b, a in zip(boxes, areas) if a >= tie * largest]
    return min(candidates, key=off_centre)


class FaceEngine:
    """Finds the main face of a frame and encodes it; detection runs on a ~320 px copy."""

    def __init__(self, detect_width: int = 320, upsample: int = 1, num_jitters: int = 1) -> None:
        """Settings for HOG detection and encoding; the models load lazily."""
        self.detect_width = detect_width
        self.upsample = upsample
        self.num_jitters = num_jitters
        self._warm: threading.Thread | None = None

    def warm_up(self) -> threading.Thread:
        """Load face_recognition and its models in a background thread (idempotent)."""
        if self._warm is None:
            self._warm = threading.Thread(target=self._warm_body, name="face-warm-up", daemon=True)
            self._warm.start()
        return self._warm

    @staticmethod
    def _warm_body() -> None:
        """Import the library and run the detector and encoder once on a blank image."""
        try:
            fr = _LIBRARY.get()
            blank = np.zeros((100, 100, 3), dtype=np.uint8)
            with _DLIB_LOCK:
                fr.face_locations(blank, 0, "hog")
                fr.face_encodings(blank, known_face_locations=[(20, 80, 80, 20)])
        except Exception:  # warm-up is an optimisation; a real failure shows on first use
            _LOG.exception("face engine warm-up failed")

    def detect(self, frame_bgr: np.ndarray) -> list[Box]:
        """All face boxes found, in full-frame coordinates (HOG on a downscaled copy)."""
        fr = _LIBRARY.get()
        height, width = frame_bgr.shape[:2]
        scale = self.detect_width / width if self.detect_width and width > self.detect_width else 1.0
        small = frame_bgr
        if scale != 1.0:
            size = (self.detect_width, max(1, round(height * scale)))
            small = cv2.resize(frame_bgr, size, interpolation=cv2.INTER_AREA)
        rgb_small = np.ascontiguousarray(small[:, :, ::-1])
        with _DLIB_LOCK:
            found = fr.face_locations(rgb_small, self.upsample, "hog")
        boxes = []
        for top, right, bottom, left in found:
            boxes.append(
                (
                    max(0, round(top / scale)),
                    min(width, round(right / scale)),
                    min(height, round(bottom / scale)),
                    max(0, round(left / scale)),
                )
            )
        return boxes

    def observe(self, frame_bgr: np.ndarray) -> FaceObservation | None:
        """The largest (then most central) face with its encoding and quality, or None."""
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            return None
        frame_bgr = np.ascontiguousarray(frame_bgr, dtype=np.uint8)
        boxes = self.detect(frame_bgr)
        if not boxes:
            return None
        height, width = frame_bgr.shape[:2]
        box = _choose_face(boxes, width, height)
        rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
        fr = _LIBRARY.get()
        with _DLIB_LOCK:
            encodings = fr.face_encodings(rgb, known_face_locations=[box],
                                          num_jitters=self.num_jitters)
        if not encodings:
            return None
        return FaceObservation(
            box=box,
            encoding=np.asarray(encodings[0], dtype=np.float64),
            quality=_quality(frame_bgr, box),
            faces_found=len(boxes),
        )

    def enrol(self, frames: Iterable[np.ndarray], minimum: int = 2) -> list[np.ndarray]:
        """Encodings of the frames that show a face; EnrolmentError("enrol.no_face") if < minimum."""
        encodings = []
        for frame in frames:
            observation = self.observe(frame)
            if observation is not None:
                encodings.append(observation.encoding)
        if len(encodings) < minimum:
            raise EnrolmentError("enrol.no_face", f"{len(encodings)} usable face(s), need {minimum}")
        return encodings


class FaceIndex:
    """Roster of face templates searched 1:N with a distance threshold and a runner-up margin.

    Each person is represented by the mean (centroid) of their templates; with
    several probe frames the per-frame distances to each centroid are averaged,
    so the distance scale does not depend on the number of frames.
    """

    def __init__(
        self,
        templates: Mapping[PersonId, Sequence[np.ndarray]],
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        """Average each person's templates into one row of the centroid matrix."""
        self.threshold = threshold
        self.margin = margin
        people, rows = [], []
        for person_id, person_templates in templates.items():
            vectors = [np.asarray(t, dtype=np.float64).reshape(-1) for t in person_templates]
            if vectors:
                people.append(person_id)
                rows.append(np.mean(vectors, axis=0))
        self.person_ids: list[PersonId] = people
        self._position = {person_id: i for i, person_id in enumerate(people)}
        self._centroids = np.vstack(rows) if rows else np.zeros((0, 128))
        self._sq_norms = np.einsum("ij,ij->i", self._centroids, self._centroids)

    def __len__(self) -> int:
        """Number of people with at least one template."""
        return len(self.person_ids)

    def __contains__(self, person_id: object) -> bool:
        """True if the person has templates in this index."""
        return person_id in self._position

    def distances(self, encodings: Sequence[np.ndarray]) -> np.ndarray:
        """Fused distance of the probe frames to every person (same order as `person_ids`)."""
        probes = np.atleast_2d(np.asarray(encodings, dtype=np.float64))
        squared = (
            np.einsum("ij,ij->i", probes, probes)[:, None]
            + self._sq_norms[None, :]
            - 2.0 * probes @ self._centroids.T
        )
        return np.sqrt(np.maximum(squared, 0.0)).mean(axis=0)

    def identify(self, encodings: Sequence[np.ndarray]) -> IdentifyResult:
        """Best person if within `threshold` and ahead of the runner-up by `margin`."""
        if not self.person_ids:
            return IdentifyResult(None, None, None, None, "empty_roster")
        if len(encodings) == 0:
            raise ValueError("identify needs at least one encoding")
        fused = self.distances(encodings)
        order = np.argsort(fused, kind="stable")
        best = int(order[0])
        distance = float(fused[best])
        runner_up = float(fused[order[1]]) if len(order) > 1 else None
        candidate = self.person_ids[best]
        if distance > self.threshold:
            reason, person = "no_match", None
        elif runner_up is not None and runner_up - distance < self.margin:
            reason, person = "ambiguous", None
        else:
            reason, person = "matched", candidate
        return IdentifyResult(person, distance, 1.0 - distance, runner_up, reason, candidate)

    def verify(self, person_id: PersonId, encodings: Sequence[np.ndarray]) -> IdentifyResult:
        """1:1 check against a claimed person (threshold only, no margin)."""
        if person_id not in self._position:
            return IdentifyResult(None, None, None, None, "not_enrolled")
        if len(encodings) == 0:
            raise ValueError("verify needs at least one encoding")
        probes = np.atleast_2d(np.asarray(encodings, dtype=np.float64))
        centroid = self._centroids[self._position[person_id]]
        distance = float(np.linalg.norm(probes - centroid, axis=1).mean())
        matched = distance <= self.threshold
        return IdentifyResult(
            person_id if matched else None,
            distance,
            1.0 - distance,
            None,
            "matched" if matched else "no_match",
            person_id,
        )
