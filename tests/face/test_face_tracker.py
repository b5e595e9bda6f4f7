"""FaceTracker on real video: follows the face, drops it when it goes, re-acquires, counts faces."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from bench.face_quality_bench import letterbox, place
from devices.camera_file import load_image_bgr
from kiosk.face_tracker import FaceTracker, TrackedFace, _iou

CLIP = "WDA_KatieHill_000.mp4"
FPS = 25.0


@pytest.fixture(scope="module")
def clip_frames(shared_data):
    """The first 60 frames of a real talking-head clip, 512x512 letterboxed to 640x480."""
    capture = cv2.VideoCapture(str(shared_data / "liveness" / "live_video" / CLIP))
    frames = []
    while len(frames) < 60:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(letterbox(frame))
    capture.release()
    assert len(frames) == 60
    return frames


def grey_frame() -> np.ndarray:
    """The "nobody there" frame of the file camera."""
    return np.full((480, 640, 3), 128, dtype=np.uint8)


def test_follows_the_face_across_a_real_clip(face_engine, clip_frames):
    tracker = FaceTracker(face_engine, detect_every=6)
    seen = [tracker.update(frame, timestamp=i / FPS) for i, frame in enumerate(clip_frames)]
    assert all(isinstance(t, TrackedFace) for t in seen)
    assert all(_iou(a.box, b.box) > 0.5 for a, b in zip(seen, seen[1:]))  # no jumps
    assert [t.fresh for t in seen[:7]] == [True, False, False, False, False, False, True]
    assert tracker.stats["full_detections"] == 10 and tracker.stats["window_detections"] == 50
    for t in seen[::15]:  # the box is where the engine's own detector puts the face
        truth = face_engine.detect(clip_frames[t.frame_index])
        assert max(_iou(t.box, b) for b in truth) > 0.6
        assert t.landmarks.shape == (5, 2) and t.faces_found == 1
    assert all(s.quality.ok for s in seen)  # a still, frontal, well-lit face
    assert all(s.speed is not None for s in seen[1:]) and seen[0].speed is None


def test_grey_frame_drops_the_track_and_the_face_is_re_acquired(face_engine, clip_frames):
    tracker = FaceTracker(face_engine)
    assert tracker.update(clip_frames[0], 0.0) is not None
    assert tracker.update(clip_frames[1], 0.04) is not None
    assert tracker.update(grey_frame(), 0.08) is None
    assert tracker.stats["lost"] == 1
    again = tracker.update(clip_frames[3], 0.12)
    assert again is not None and again.fresh and again.speed is None
    assert tracker.update(grey_frame()) is None  # the default clock works too
    assert FaceTracker(face_engine).update(np.zeros((10, 10), dtype=np.uint8)) is None


def test_face_that_leaves_the_frame_is_dropped(face_engine, clip_frames):
    """The face slides out to the right, 40 px a frame: followed, then lost, then None."""
    tracker = FaceTracker(face_engine)
    results = []
    for step in range(16):
        shift = np.float32([[1, 0, 40 * step], [0, 1, 0]])
        frame = cv2.warpAffine(clip_frames[step], shift, (640, 480), borderValue=(128, 128, 128))
        results.append(tracker.update(frame, step / FPS))
    assert results[0] is not None and results[3] is not None
    assert results[-1] is None
    first_none = results.index(None)
    assert all(r is None for r in results[first_none:])


def test_two_faces_are_reported(face_engine, shared_data):
    """Two real people side by side: the tracker follows one and says there are two."""
    one = load_image_bgr(shared_data / "faces" / "Wang_Yi" / "1.jpg")
    other = load_image_bgr(shared_data / "faces" / "Zhang_Ziyi" / "2.jpg")
    box_one = max(face_engine.detect(one), key=lambda b: b[1] - b[3])
    box_other = max(face_engine.detect(other), key=lambda b: b[1] - b[3])
    left = place(one, box_one, 130, cx=190)
    right = place(other, box_other, 110, cx=470)
    frame = left.copy()
    frame[:, 330:] = right[:, 330:]
    tracker = FaceTracker(face_engine)
    tracked = tracker.update(frame, 0.0)
    assert tracked is not None and tracked.faces_found == 2
    assert tracked.box[1] < 330  # the larger face is followed
    assert tracker.update(frame, 0.1).faces_found == 2  # still reported between detections


def test_encoding_on_request_matches_the_engine(face_engine, clip_frames):
    tracker = FaceTracker(face_engine)
    tracked = None
    for i, frame in enumerate(clip_frames[:5]):
        tracked = tracker.update(frame, i / FPS)
    encoding = tracker.encode(clip_frames[4], tracked)
    assert encoding.shape == (128,)
    observed = face_engine.observe(clip_frames[4])
    assert np.linalg.norm(encoding - observed.encoding) < 0.1  # same face, box found another way
    observation = tracker.observe(clip_frames[4], tracked, flip=True)
    assert observation.views is not None and observation.box == tracked.box


def test_trackers_in_two_threads_agree_with_one(face_engine, clip_frames):
    """One tracker per thread, dlib calls serialised by the lock: same boxes as alone."""
    alone = FaceTracker(face_engine)
    expected = [alone.update(f, i / FPS).box for i, f in enumerate(clip_frames[:30])]
    results: dict[int, list] = {}

    def run(slot: int) -> None:
        tracker = FaceTracker(face_engine)
        results[slot] = [tracker.update(f, i / FPS).box for i, f in enumerate(clip_frames[:30])]

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results[0] == expected and results[1] == expected
