"""Per-frame face geometry for the liveness checks: 68-point landmarks and the measures on them.

Landmarks come from dlib's 68-point predictor through face_recognition; every dlib call
holds ``kiosk.face._DLIB_LOCK`` (dlib crashes when two threads use it at once).
Point numbering is the usual iBUG 68 layout: 36-41 is the eye on the image left (the
person's right eye), 42-47 the other eye, 30 the nose tip, 60-67 the inner lip contour.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence

import cv2
import numpy as np

from kiosk.face import _DLIB_LOCK, _LIBRARY, Box, FaceEngine

# Points that move little with expressions (upper jaw line, brows, nose, eye corners): the
# homography that maps them onto the reference shape is the "rigid" part of the motion.
RIGID_POINTS = np.r_[0:5, 12:17, 17:27, 27:36, 36, 39, 42, 45]
ALL_POINTS = np.arange(68)
# Point groups whose shape changes tell a living face from a rigidly moved picture.
# The jaw line is left out: dlib places it loosely, even on a still photo.
MOTION_GROUPS: dict[str, np.ndarray] = {
    "brows": np.arange(17, 27),
    "nose": np.arange(27, 36),
    "eyes": np.arange(36, 48),
    "mouth": np.arange(48, 68),
}


def landmarks_from_dict(parts: dict[str, Sequence[tuple[int, int]]]) -> np.ndarray:
    """Rebuild the (68, 2) point array from face_recognition's ``face_landmarks`` dict."""
    p = np.zeros((68, 2), dtype=np.float64)
    p[0:17] = parts["chin"]
    p[17:22] = parts["left_eyebrow"]
    p[22:27] = parts["right_eyebrow"]
    p[27:31] = parts["nose_bridge"]
    p[31:36] = parts["nose_tip"]
    p[36:42] = parts["left_eye"]
    p[42:48] = parts["right_eye"]
    top, bottom = parts["top_lip"], parts["bottom_lip"]
    p[48:55] = top[0:7]  # 48..54
    p[55:60] = bottom[1:6]  # 55..59
    p[60], p[61], p[62], p[63], p[64] = top[11], top[10], top[9], top[8], top[7]
    p[65], p[66], p[67] = bottom[10], bottom[9], bottom[8]
    return p


def _eye_ear(eye: np.ndarray) -> float:
    """Eye aspect ratio of one six-point eye contour."""
    width = np.linalg.norm(eye[0] - eye[3])
    if width <= 1e-6:
        return 0.0
    heights = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    return float(heights / (2.0 * width))


def eye_aspect_ratio(points: np.ndarray) -> float:
    """Mean eye aspect ratio (EAR) of both eyes: about 0.3-0.4 open, under 0.2 closed."""
    return 0.5 * (_eye_ear(points[36:42]) + _eye_ear(points[42:48]))


def inter_ocular(points: np.ndarray) -> float:
    """Distance between the two eye centres, in pixels."""
    return float(np.linalg.norm(points[42:48].mean(axis=0) - points[36:42].mean(axis=0)))


def yaw_proxy(points: np.ndarray) -> float:
    """Nose-tip offset from the eye midpoint along the eye axis, over the inter-ocular distance.

    Positive when the nose moves towards the image right, i.e. the person turns to their
    own left in an unmirrored camera picture. About 0.4 x tan(yaw) for an average face.
    """
    left, right = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    iod = float(np.linalg.norm(right - left))
    if iod <= 1e-6:
        return 0.0
    axis = (right - left) / iod
    return float(np.dot(points[30] - (left + right) / 2.0, axis) / iod)


def mouth_aspect_ratio(points: np.ndarray) -> float:
    """Inner-lip opening over inner-lip width: about 0 closed, 0.1-0.5 while talking."""
    width = np.linalg.norm(points[60] - points[64])
    if width <= 1e-6:
        return 0.0
    gaps = (
        np.linalg.norm(points[61] - points[67])
        + np.linalg.norm(points[62] - points[66])
        + np.linalg.norm(points[63] - points[65])
    )
    return float(gaps / (3.0 * width))


def mouth_opening(points: np.ndarray) -> float:
    """Inner-lip gap at the centre over the inter-ocular distance (the lip-sync signal)."""
    iod = inter_ocular(points)
    return float(np.linalg.norm(points[62] - points[66]) / iod) if iod > 1e-6 else 0.0


def box_area(box: Box) -> int:
    """Area of a (top, right, bottom, left) box."""
    top, right, bottom, left = box
    return max(0, bottom - top) * max(0, right - left)


@dataclass(frozen=True)
class FaceFrame:
    """What one camera frame shows: every face box, and the main face's landmarks."""

    boxes: tuple[Box, ...] = ()
    box: Box | None = None
    landmarks: np.ndarray | None = field(default=None, repr=False)
    encoding: np.ndarray | None = field(default=None, repr=False)

    @property
    def face_count(self) -> int:
        """Number of faces the detector found."""
        return len(self.boxes)

    @property
    def has_face(self) -> bool:
        """True when the main face has landmarks."""
        return self.landmarks is not None

    def comparable_faces(self, ratio: float) -> int:
        """Faces at least `ratio` times the main face's area (the main face included)."""
        if not self.boxes:
            return 0
        largest = max(box_area(b) for b in self.boxes)
        return sum(1 for b in self.boxes if box_area(b) >= ratio * largest)


class LandmarkExtractor:
    """Finds the faces of a frame (FaceEngine's HOG detector) and the main face's 68 points."""

    def __init__(self, engine: FaceEngine | None = None) -> None:
        """Use `engine` for detection (a default FaceEngine otherwise)."""
        self.engine = engine or FaceEngine()

    def extract(self, frame_bgr: np.ndarray, want_encoding: bool = False) -> FaceFrame:
        """Boxes, the largest face's landmarks and (if asked) its 128-d encoding."""
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            return FaceFrame()
        frame_bgr = np.ascontiguousarray(frame_bgr, dtype=np.uint8)
        boxes = tuple(self.engine.detect(frame_bgr))
        if not boxes:
            return FaceFrame()
        box = max(boxes, key=box_area)
        rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
        fr: Any = _LIBRARY.get()
        with _DLIB_LOCK:
            found = fr.face_landmarks(rgb, [box], "large")
            encodings = fr.face_encodings(rgb, known_face_locations=[box]) if want_encoding else []
        if not found:
            return FaceFrame(boxes=boxes)
        encoding = np.asarray(encodings[0], dtype=np.float64) if encodings else None
        return FaceFrame(boxes, box, landmarks_from_dict(found[0]), encoding)


def _aligned(points: np.ndarray, reference: np.ndarray, fit: np.ndarray) -> np.ndarray | None:
    """`points` mapped onto `reference` by the least-squares homography of the `fit` points."""
    homography, _ = cv2.findHomography(points[fit], reference[fit], 0)
    if homography is None:
        return None
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2), homography).reshape(-1, 2)


class MotionMeter:
    """Non-rigid landmark motion: what a living face shows and a moved picture does not.

    Each frame's points are mapped onto a reference shape by a least-squares homography
    fitted on RIGID_POINTS (it absorbs any movement of a flat picture: shift, rotation,
    scale, tilt). What is left is the face's own deformation plus detector noise.
    `aligned` holds the last frame mapped by a homography fitted on all 68 points: eye
    measures taken on it cannot be faked by tilting a picture. The score of the last
    `window_s` seconds is, per point group, the mean range of the points after a
    `smooth_frames` moving average (detector noise is white and averages down, real motion
    does not), over the inter-ocular distance; the largest group counts.
    """

    def __init__(self, window_s: float = 1.0, smooth_frames: int = 5, min_frames: int = 8) -> None:
        """Score windows of `window_s` seconds holding at least `min_frames` frames."""
        self.window_s = window_s
        self.smooth_frames = smooth_frames
        self.min_frames = max(min_frames, smooth_frames + 2)
        self._reference: np.ndarray | None = None
        self._iod = 1.0
        self._track: deque[tuple[float, np.ndarray]] = deque()
        self.last_score = 0.0
        self.best_score = 0.0
        self.aligned: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the reference and the track (e.g. after the face was lost)."""
        self._reference = None
        self._track.clear()
        self.last_score = 0.0

    def update(self, points: np.ndarray, t: float) -> float:
        """Add one frame's landmarks; returns the current window score."""
        if self._reference is None:
            self._reference = points.astype(np.float64).copy()
            self._iod = max(inter_ocular(points), 1.0)
        points = points.astype(np.float64)
        self.aligned = _aligned(points, self._reference, ALL_POINTS)
        aligned = _aligned(points, self._reference, RIGID_POINTS)
        if aligned is None:
            return self.last_score
        self._track.append((t, aligned))
        while self._track and t - self._track[0][0] > self.window_s:
            self._track.popleft()
        if len(self._track) < self.min_frames:
            return self.last_score
        stack = np.stack([p for _, p in self._track])
        k = self.smooth_frames
        cumulative = np.cumsum(np.concatenate([np.zeros_like(stack[:1]), stack]), axis=0)
        smooth = (cumulative[k:] - cumulative[:-k]) / k
        spread = np.linalg.norm(smooth.max(axis=0) - smooth.min(axis=0), axis=1) / self._iod
        self.last_score = float(max(spread[idx].mean() for idx in MOTION_GROUPS.values()))
        self.best_score = max(self.best_score, self.last_score)
        return self.last_score


class BlinkDetector:
    """Counts blinks from the eye aspect ratio against the person's own open-eye level.

    The open-eye baseline is the median EAR of the last `baseline_s` seconds of open-eye
    frames. The eyes count as closed below `close_ratio` x baseline; a blink is at least
    `min_closed_frames` closed frames followed by a reopening above `open_ratio` x baseline.
    """

    def __init__(self, close_ratio: float = 0.7, open_ratio: float = 0.8,
                 min_closed_frames: int = 2, baseline_s: float = 1.5,
                 min_baseline_frames: int = 5) -> None:
        """Thresholds relative to the open-eye baseline."""
        self.close_ratio = close_ratio
        self.open_ratio = open_ratio
        self.min_closed_frames = min_closed_frames
        self.baseline_s = baseline_s
        self.min_baseline_frames = min_baseline_frames
        self._open: deque[tuple[float, float]] = deque()
        self._closed = 0
        self.count = 0
        self.blink_times: list[float] = []

    @property
    def eyes_closed(self) -> bool:
        """True while the eyes are shut (inside a possible blink)."""
        return self._closed > 0

    def baseline(self) -> float | None:
        """Current open-eye EAR level, or None before enough frames."""
        if len(self._open) < self.min_baseline_frames:
            return None
        return float(np.median([e for _, e in self._open]))

    def update(self, ear: float, t: float) -> bool:
        """Add one frame's EAR; True when this frame completes a blink."""
        while self._open and t - self._open[0][0] > self.baseline_s:
            self._open.popleft()
        base = self.baseline()
        if base is None:
            self._open.append((t, ear))
            return False
        if ear < self.close_ratio * base:
            self._closed += 1
            return False
        if self._closed and ear <= self.open_ratio * base:
            return False  # half-open: still inside the blink
        completed = self._closed >= self.min_closed_frames
        self._closed = 0
        self._open.append((t, ear))
        if completed:
            self.count += 1
            self.blink_times.append(t)
        return completed

    def reset_closure(self) -> None:
        """Drop a half-seen closure (e.g. the face was lost meanwhile)."""
        self._closed = 0


def count_blinks(track: Sequence[tuple[float, FaceFrame]], **options: float) -> BlinkDetector:
    """Run the session's blink measure (EAR of the aligned points) over a whole track."""
    detector, motion = BlinkDetector(**options), MotionMeter()
    for t, obs in track:
        if not obs.has_face:
            detector.reset_closure()
            continue
        motion.update(obs.landmarks, t)
        points = motion.aligned if motion.aligned is not None else obs.landmarks
        detector.update(eye_aspect_ratio(points), t)
    return detector
