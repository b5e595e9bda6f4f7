"""Follow the face across the kiosk's frames cheaply; encode only the frames the caller asks for.

HOG detection plus encoding on every 640x480 frame (`FaceEngine.observe`) ran at 9 fps
on the talking-head clips here (104 ms a frame, 78 of them encoding), about 4 on busier
runs. `FaceTracker.update` instead runs the full-frame detector (grey, on the engine's
320 px copy: 18 ms) every `detect_every` frames or when the face is lost, and in between
runs HOG only on a small window around the last box, resampled so the face is about
`roi_face_px` wide (2.8 ms). dlib.correlation_tracker cost about the same (3.3 ms), but
a detector also says when the face has gone and gives boxes of the shape the 5-point
predictor and the encoder were trained on. Each update also finds dlib's 5 landmarks
(1.1 ms) and runs the quality gate. Measured by bench/speed_bench.py: 109 fps tracking
alone, 35 fps with an encoding every 4th frame.

One tracker per thread; every dlib call holds `kiosk.face._DLIB_LOCK`.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import cv2
import numpy as np

from kiosk import face_quality
from kiosk.face import _DLIB_LOCK, _LIBRARY, Box, FaceEngine, FaceObservation, _choose_face, _quality
from kiosk.face_quality import QualityVerdict

# A full-frame detection at least every 6th frame (0.5 s at 12 fps): that bounds how
# late a second face is reported and how long a wrong lock could last.
DEFAULT_DETECT_EVERY = 6
# Search window: the last box widened by this fraction of its width on every side, and
# resampled so the face is about DEFAULT_ROI_FACE_PX wide (HOG at upsample 0 finds faces
# from ~80 px, so a face may shrink by 20 % or grow a lot between two frames).
DEFAULT_ROI_MARGIN = 0.5
DEFAULT_ROI_FACE_PX = 100
# Motion is measured over about this many seconds (see face_quality.MAX_FACE_SPEED).
SPEED_WINDOW = 0.2
# A box in the window counts as the same face when it overlaps the last one this much.
MIN_IOU = 0.3


@dataclass(frozen=True)
class TrackedFace:
    """The followed face of one frame."""

    box: Box
    landmarks: np.ndarray | None = field(repr=False)  # dlib's 5 points (5 x 2), full-frame px
    quality: QualityVerdict = field(repr=False)
    fresh: bool  # True when a full-frame detection produced this box
    faces_found: int  # faces in the latest full-frame detection (at most detect_every frames old)
    speed: float | None  # landmark motion, face widths per second (None on the first frame)
    frame_index: int

    @property
    def hint(self) -> str | None:
        """The quality hint key (None when the face is good enough to encode)."""
        return self.quality.hint


def _iou(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    area = lambda x: max(0, x[2] - x[0]) * max(0, x[1] - x[3])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


class FaceTracker:
    """Follows one face from frame to frame (one instance per thread)."""

    def __init__(
        self,
        engine: FaceEngine | None = None,
        *,
        detect_every: int = DEFAULT_DETECT_EVERY,
        roi_margin: float = DEFAULT_ROI_MARGIN,
        roi_face_px: int = DEFAULT_ROI_FACE_PX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Settings; `engine` gives the full-frame detection size and encodes on request."""
        self.engine = engine or FaceEngine()
        self.detect_every = max(1, detect_every)
        self.roi_margin = roi_margin
        self.roi_face_px = roi_face_px
        self._clock = clock
        self.stats = {"frames": 0, "full_detections": 0, "window_detections": 0, "lost": 0}
        self.reset()

    def reset(self) -> None:
        """Forget the current face (the next update runs a full detection)."""
        self._box: Box | None = None
        self._since_full = 0
        self._faces_found = 0
        self._history: deque[tuple[float, np.ndarray]] = deque()
        self._index = -1

    # ------------------------------------------------------------------ detection

    def _detect_full(self, grey: np.ndarray) -> list[Box]:
        """Every face of the frame: HOG on the engine's downscaled copy (grey: ~25 % faster
        than RGB and found the same faces on all 295 shared photos)."""
        api = _LIBRARY.get().api
        height, width = grey.shape
        target = self.engine.detect_width
        scale = target / width if target and width > target else 1.0
        small = grey
        if scale != 1.0:
            small = cv2.resize(grey, (target, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        with _DLIB_LOCK:
            found = api.face_detector(small, self.engine.upsample)
            return [self._to_frame(r, scale, 0, 0, width, height) for r in found]

    def _detect_window(self, grey: np.ndarray, box: Box) -> list[Box]:
        """Faces in the window around `box`, HOG (upsample 0) on a resampled crop."""
        api = _LIBRARY.get().api
        height, width = grey.shape
        top, right, bottom, left = box
        size = max(1, right - left)
        pad = self.roi_margin * size
        x0, y0 = max(0, int(left - pad)), max(0, int(top - pad))
        x1, y1 = min(width, int(right + pad)), min(height, int(bottom + pad))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        scale = self.roi_face_px / size
        crop = grey[y0:y1, x0:x1]
        dsize = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        crop = cv2.resize(crop, dsize, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        with _DLIB_LOCK:
            found = api.face_detector(crop, 0)
            return [self._to_frame(r, scale, x0, y0, width, height) for r in found]

    @staticmethod
    def _to_frame(rect: Any, scale: float, x0: int, y0: int, width: int, height: int) -> Box:
        """A dlib rectangle of a scaled crop as a full-frame (top, right, bottom, left) box."""
        return (
            max(0, round(rect.top() / scale) + y0),
            min(width, round(rect.right() / scale) + x0),
            min(height, round(rect.bottom() / scale) + y0),
            max(0, round(rect.left() / scale) + x0),
        )

    @staticmethod
    def _landmarks(grey: np.ndarray, box: Box) -> np.ndarray | None:
        """dlib's 5 points of `box` (grey image; the encoder recomputes them on colour)."""
        api = _LIBRARY.get().api
        top, right, bottom, left = box
        with _DLIB_LOCK:
            shape = api.pose_predictor_5_point(grey, api.dlib.rectangle(left, top, right, bottom))
            if shape.num_parts != 5:
                return None
            return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    # ------------------------------------------------------------------ frame loop

    def update(self, frame_bgr: np.ndarray, timestamp: float | None = None) -> TrackedFace | None:
        """The followed face of this frame, or None (no face: the track is dropped).

        `timestamp` (seconds) is the frame's capture time, for the motion figure; by
        default the tracker's clock at the call.
        """
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            return None
        stamp = self._clock() if timestamp is None else float(timestamp)
        self.stats["frames"] += 1
        self._index += 1
        grey = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        height, width = grey.shape
        box, fresh = None, False
        if self._box is not None and self._since_full < self.detect_every - 1:
            candidates = [b for b in self._detect_window(grey, self._box) if _iou(b, self._box) >= MIN_IOU]
            if candidates:
                box = max(candidates, key=lambda b: _iou(b, self._box))
                self._since_full += 1
                self.stats["window_detections"] += 1
        if box is None:  # due, lost in the window, or no track yet
            boxes = self._detect_full(grey)
            self.stats["full_detections"] += 1
            self._since_full, self._faces_found, fresh = 0, len(boxes), True
            if not boxes:
                if self._box is not None:
                    self.stats["lost"] += 1
                self.reset()
                return None
            same = [b for b in boxes if self._box is not None and _iou(b, self._box) >= MIN_IOU]
            box = max(same, key=lambda b: _iou(b, self._box)) if same else _choose_face(boxes, width, height)
            if not same:
                self._history.clear()  # a new face: no motion figure yet
        points = self._landmarks(grey, box)
        speed = self._speed(box, points, stamp)
        figures = face_quality.measure(frame_bgr, box, points)
        if speed is not None:
            figures["speed"] = speed
        self._box = box
        return TrackedFace(
            box=box,
            landmarks=points,
            quality=face_quality.verdict(figures),
            fresh=fresh,
            faces_found=self._faces_found,
            speed=speed,
            frame_index=self._index,
        )

    def _speed(self, box: Box, points: np.ndarray | None, stamp: float) -> float | None:
        """Motion of the landmarks' centre over the last SPEED_WINDOW s, face widths per second.

        Over a window rather than between two frames: landmark jitter of a still face
        would otherwise read as motion at 25 fps."""
        centre = points.mean(axis=0) if points is not None else np.array(
            [(box[1] + box[3]) / 2.0, (box[0] + box[2]) / 2.0]
        )
        history = self._history
        while history and stamp - history[0][0] > SPEED_WINDOW and len(history) > 1:
            history.popleft()
        speed = None
        if history and stamp > history[0][0]:
            then, where = history[0]
            shift = float(np.hypot(*(centre - where)))
            speed = shift / max(1.0, box[1] - box[3]) / (stamp - then)
        history.append((stamp, centre))
        return speed

    # ------------------------------------------------------------------ encoding

    def encode(
        self, frame_bgr: np.ndarray, tracked: TrackedFace, *, flip: bool = False, num_jitters: int = 1
    ) -> np.ndarray | None:
        """128-d encoding of the tracked face in the same frame (about 75 ms; call it sparingly)."""
        observation = self.observe(frame_bgr, tracked, flip=flip, num_jitters=num_jitters)
        return None if observation is None else observation.encoding

    def observe(
        self, frame_bgr: np.ndarray, tracked: TrackedFace, *, flip: bool = False, num_jitters: int = 1
    ) -> FaceObservation | None:
        """The tracked face as the engine's FaceObservation (what `FaceEngine.observe` returns)."""
        rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
        encoding, views = self.engine.encode(rgb, tracked.box, flip=flip, num_jitters=num_jitters)
        if encoding is None:
            return None
        return FaceObservation(
            box=tracked.box,
            encoding=encoding,
            quality=_quality(frame_bgr, tracked.box),
            faces_found=max(1, tracked.faces_found),
            views=views,
        )
