"""Face detection and 128-d encoding (dlib via face_recognition); the public face API.

- Encoding: face_recognition's 5-point landmarks drive dlib's own chip alignment
  (150 px chip, 25 % padding) before the ResNet, so faces are already aligned. The
  enrolment templates also encode the mirrored chip and average both views
  (`FaceEngine.enrol_flip`): on ../shared/data this cut FNMR at zero false matches.
- Matching lives in kiosk/face_index.py (FaceIndex, cohort ratio, operating points),
  the quality gate in kiosk/face_quality.py, frame-to-frame following in
  kiosk/face_tracker.py. This module re-exports the matching names, so
  `from kiosk.face import FaceIndex, DEFAULT_VERIFY_RATIO` keeps working.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import cv2
import numpy as np

from kiosk.face_index import (  # noqa: F401 - re-exported: callers import them from kiosk.face
    DEFAULT_COHORT_FRACTION,
    DEFAULT_COHORT_K,
    DEFAULT_IDENTIFY_RATIO,
    DEFAULT_MARGIN,
    DEFAULT_THRESHOLD,
    DEFAULT_VERIFY_DISTANCE,
    DEFAULT_VERIFY_RATIO,
    MIN_COHORT,
    SMALL_ROSTER_THRESHOLD,
    FaceIndex,
    IdentifyResult,
    PersonId,
)

_LOG = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # top, right, bottom, left in full-frame pixels


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
    # When the mirrored chip was encoded too: (plain view, mirrored view); `encoding` is
    # then their mean. None for a plain single-view observation.
    views: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)


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

    def __init__(
        self,
        detect_width: int = 320,
        upsample: int = 1,
        num_jitters: int = 1,
        flip: bool = False,
        enrol_flip: bool = True,
        enrol_jitters: int | None = None,
    ) -> None:
        """Settings for HOG detection and encoding; the models load lazily.

        `flip` also encodes the mirrored face chip of every observed frame and averages
        the two views (about +75 ms a frame); `enrol_flip` does so for enrolment only.
        `enrol_jitters` (default: `num_jitters`) is dlib's re-sampling count for
        enrolment templates.
        """
        self.detect_width = detect_width
        self.upsample = upsample
        self.num_jitters = num_jitters
        self.flip = flip
        self.enrol_flip = enrol_flip
        self.enrol_jitters = num_jitters if enrol_jitters is None else enrol_jitters
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

    def observe(
        self, frame_bgr: np.ndarray, flip: bool | None = None, num_jitters: int | None = None
    ) -> FaceObservation | None:
        """The largest (then most central) face with its encoding and quality, or None.

        `flip` (default: the engine's `flip`) also encodes the mirrored chip and
        returns the mean of both views as `encoding` (both views in `views`).
        """
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            return None
        frame_bgr = np.ascontiguousarray(frame_bgr, dtype=np.uint8)
        boxes = self.detect(frame_bgr)
        if not boxes:
            return None
        height, width = frame_bgr.shape[:2]
        box = _choose_face(boxes, width, height)
        rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
        encoding, views = self.encode(
            rgb,
            box,
            flip=self.flip if flip is None else flip,
            num_jitters=self.num_jitters if num_jitters is None else num_jitters,
        )
        if encoding is None:
            return None
        return FaceObservation(
            box=box,
            encoding=encoding,
            quality=_quality(frame_bgr, box),
            faces_found=len(boxes),
            views=views,
        )

    def encode(
        self, rgb: np.ndarray, box: Box, flip: bool = False, num_jitters: int = 1
    ) -> tuple[np.ndarray | None, tuple[np.ndarray, np.ndarray] | None]:
        """128-d encoding of the face in `box` of an RGB image; with `flip`, the mean of
        the plain and the mirrored aligned chip (and both views)."""
        api = _LIBRARY.get().api  # face_recognition.api holds the loaded dlib models
        top, right, bottom, left = box
        with _DLIB_LOCK:
            shape = api.pose_predictor_5_point(rgb, api.dlib.rectangle(left, top, right, bottom))
            if shape.num_parts != 5:
                return None, None
            plain = np.asarray(
                api.face_encoder.compute_face_descriptor(rgb, shape, max(1, num_jitters)),
                dtype=np.float64,
            )
            if not flip:
                return plain, None
            # the same alignment dlib applies inside compute_face_descriptor (150 px, 25 %)
            chip = api.dlib.get_face_chip(rgb, shape, 150, 0.25)
            mirrored = np.asarray(
                api.face_encoder.compute_face_descriptor(
                    np.ascontiguousarray(chip[:, ::-1]), max(1, num_jitters)
                ),
                dtype=np.float64,
            )
        return (plain + mirrored) / 2.0, (plain, mirrored)

    def enrol(self, frames: Iterable[np.ndarray], minimum: int = 2) -> list[np.ndarray]:
        """Encodings of the frames that show a face; EnrolmentError("enrol.no_face") if < minimum.

        Enrolment templates use `enrol_flip` and `enrol_jitters` (slower, better).
        """
        encodings = []
        for frame in frames:
            observation = self.observe(frame, flip=self.enrol_flip, num_jitters=self.enrol_jitters)
            if observation is not None:
                encodings.append(observation.encoding)
        if len(encodings) < minimum:
            raise EnrolmentError("enrol.no_face", f"{len(encodings)} usable face(s), need {minimum}")
        return encodings
