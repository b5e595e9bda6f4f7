"""Clearly SYNTHETIC landmark tracks for the state-machine unit tests.

The base shape is real: the 68 dlib points of frame 55 of
liveness/live_video/WDA_AlexandriaOcasioCortez_000.mp4 (eyes open, mouth closed, facing
the camera), recorded once. Everything done to it here is made up: closing the eyelids,
shifting the nose sideways (what a head turn does to the 2-D points), lowering the lower
lip, and a little per-frame noise and drift. It exercises the session's logic, not the
landmark detector; the real-data tests are in test_liveness_real.py.
"""

from __future__ import annotations

import numpy as np

from kiosk.liveness_features import FaceFrame

AOC_FRAME_55 = np.array([
    (152, 245), (160, 278), (169, 310), (178, 340), (188, 370), (208, 395), (234, 415), (269, 431),
    (306, 435), (340, 428), (371, 412), (391, 390), (404, 363), (409, 332), (411, 300), (415, 267),
    (419, 232), (176, 199), (188, 175), (211, 161), (237, 160), (262, 169), (314, 166), (337, 153),
    (362, 153), (385, 165), (399, 188), (291, 208), (292, 231), (294, 254), (296, 277), (273, 296),
    (284, 298), (297, 300), (309, 296), (319, 292), (208, 231), (222, 221), (239, 218), (255, 225),
    (240, 233), (223, 236), (326, 223), (340, 215), (357, 215), (370, 223), (357, 230), (341, 229),
    (260, 361), (272, 339), (287, 326), (298, 329), (309, 325), (325, 335), (340, 352), (328, 367),
    (313, 374), (301, 377), (289, 377), (273, 372), (270, 359), (288, 348), (299, 347), (310, 346),
    (330, 352), (311, 349), (300, 352), (289, 351),
], dtype=np.float64)
IOD = float(np.linalg.norm(AOC_FRAME_55[42:48].mean(0) - AOC_FRAME_55[36:42].mean(0)))
FPS = 25.0


def pose(points: np.ndarray, eyes_closed: float = 0.0, turn: float = 0.0,
         mouth_open: float = 0.0) -> np.ndarray:
    """Synthetic change of the base shape.

    eyes_closed: 0 open .. 1 shut (eyelid points pulled to the eye's mid-line);
    turn: nose shift along the eye axis in inter-ocular distances (+ = towards image right,
    i.e. the person's own left in an unmirrored camera);
    mouth_open: lower lip and chin lowered by this many inter-ocular distances.
    """
    p = points.copy()
    for start in (36, 42):
        eye = p[start:start + 6]
        mid_y = (eye[0, 1] + eye[3, 1]) / 2.0
        for i in (1, 2, 4, 5):
            eye[i, 1] = eye[i, 1] + (mid_y - eye[i, 1]) * eyes_closed
    p[27:36, 0] += turn * IOD
    lower = [5, 6, 7, 8, 9, 10, 11, 55, 56, 57, 58, 59, 65, 66, 67]
    p[lower, 1] += mouth_open * IOD
    return p


def frame(points: np.ndarray, rng: np.random.Generator, k: int, noise: float = 0.6,
          drift: float = 0.0, encoding: np.ndarray | None = None) -> FaceFrame:
    """A FaceFrame of `points` with detector-like noise and an optional rigid drift."""
    p = points + rng.normal(0.0, noise, points.shape) + np.array([drift * k, 0.3 * drift * k])
    left, top = p.min(axis=0)
    right, bottom = p.max(axis=0)
    box = (int(top), int(right), int(bottom), int(left))
    return FaceFrame(boxes=(box,), box=box, landmarks=p, encoding=encoding)


def act(kind: str, progress: float) -> dict[str, float]:
    """Pose arguments for doing `kind` at `progress` (0..1..0 over the action)."""
    amount = float(np.sin(np.pi * min(max(progress, 0.0), 1.0)))
    if kind == "blink":
        return {"eyes_closed": 0.8 * amount}
    if kind == "turn_left":
        return {"turn": 0.45 * amount}
    if kind == "turn_right":
        return {"turn": -0.45 * amount}
    if kind == "open_mouth":
        return {"mouth_open": 0.6 * min(1.0, 2 * amount)}
    return {}
