"""FaceEngine on real photos: detection, choice of face, encoding, quality, enrolment."""

from __future__ import annotations

import numpy as np
import pytest

from devices.camera import FileCamera
from devices.camera_file import load_image_bgr
from kiosk.face import EnrolmentError, FaceEngine, FaceObservation


def test_grey_frame_has_no_face(face_engine, tmp_path):
    grey = FileCamera(tmp_path, fps=0)  # an empty folder: the "nobody there" frame
    grey.open()
    assert face_engine.observe(grey.read()) is None
    assert face_engine.observe(np.zeros((10, 10), dtype=np.uint8)) is None  # not a colour frame


def test_observation_of_a_real_photo(face_engine, shared_data):
    frame = load_image_bgr(shared_data / "faces" / "Barack_Obama" / "1.jpg")
    observation = face_engine.observe(frame)
    assert isinstance(observation, FaceObservation)
    top, right, bottom, left = observation.box
    assert 0 <= left < right <= frame.shape[1] and 0 <= top < bottom <= frame.shape[0]
    assert observation.encoding.shape == (128,) and observation.encoding.dtype == np.float64
    assert set(observation.quality) == {"face_width", "sharpness", "brightness"}
    assert observation.quality["face_width"] == right - left > 60
    assert observation.quality["sharpness"] > 0
    assert 20 < observation.quality["brightness"] < 235


def test_largest_face_is_chosen(face_engine, shared_data):
    frame = load_image_bgr(shared_data / "faces" / "Arnold_Schwarzenegger" / "5.jpg")
    boxes = face_engine.detect(frame)
    assert len(boxes) == 2  # a second, smaller face in the background
    observation = face_engine.observe(frame)
    area = lambda b: (b[2] - b[0]) * (b[1] - b[3])  # noqa: E731
    assert observation.faces_found == 2
    assert observation.box == max(boxes, key=area)


def test_small_east_asian_thumbnail_is_found(face_engine, shared_data):
    frame = load_image_bgr(shared_data / "faces" / "Wang_Yi" / "1.jpg")  # 150 px, face ~60 px
    observation = face_engine.observe(frame)
    assert observation is not None
    assert 40 < observation.quality["face_width"] < 100


def test_enrol_from_the_file_camera(face_engine, shared_data):
    now = [0.0]
    camera = FileCamera(shared_data / "faces" / "Yoko_Ono", fps=0, clock=lambda: now[0])
    camera.open()
    frames = []
    for second in range(3):
        now[0] = second + 0.5
        frames.append(camera.read())
    templates = face_engine.enrol(frames)
    assert len(templates) == 3
    assert all(t.shape == (128,) for t in templates)


def test_enrol_needs_two_faces(face_engine, shared_data):
    grey = np.full((480, 640, 3), 128, dtype=np.uint8)
    one_face = load_image_bgr(shared_data / "faces" / "Yoko_Ono" / "1.jpg")
    with pytest.raises(EnrolmentError) as caught:
        face_engine.enrol([grey, one_face, grey])
    assert caught.value.message_key == "enrol.no_face"
    assert isinstance(caught.value, ValueError)


def test_warm_up_loads_in_the_background():
    engine = FaceEngine()
    thread = engine.warm_up()
    assert engine.warm_up() is thread  # idempotent
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_mirrored_view_encoding(face_engine, shared_data):
    frame = load_image_bgr(shared_data / "faces" / "Wang_Yi" / "2.jpg")
    plain = face_engine.observe(frame)
    both = face_engine.observe(frame, flip=True)
    assert plain.views is None and both.views is not None
    assert np.allclose(both.views[0], plain.encoding)  # the plain view is the probe encoding
    assert np.allclose(both.encoding, (both.views[0] + both.views[1]) / 2)
    assert 0.02 < np.linalg.norm(both.views[1] - plain.encoding) < 0.4  # a real second view
    assert both.box == plain.box


def test_enrolment_templates_use_both_views(shared_data):
    frames = [load_image_bgr(shared_data / "faces" / "Wang_Yi" / f"{n}.jpg") for n in (1, 2)]
    default = FaceEngine()
    assert default.enrol_flip and not default.flip  # enrolment pays for the second view
    templates = default.enrol(frames)
    expected = [default.observe(f, flip=True).encoding for f in frames]
    assert all(np.allclose(t, e) for t, e in zip(templates, expected))
    plain_only = FaceEngine(enrol_flip=False).enrol(frames)
    assert all(np.allclose(t, default.observe(f).encoding) for t, f in zip(plain_only, frames))


def test_public_names_stay_importable_from_kiosk_face():
    """The split into face_index/face_quality/face_tracker keeps `kiosk.face` the entry point."""
    import kiosk.face as face
    from kiosk import face_index

    for name in ("FaceEngine", "FaceIndex", "FaceObservation", "IdentifyResult", "EnrolmentError",
                 "_DLIB_LOCK", "_LIBRARY", "Box", "_choose_face", "DEFAULT_THRESHOLD", "DEFAULT_MARGIN",
                 "DEFAULT_IDENTIFY_RATIO", "DEFAULT_VERIFY_RATIO", "DEFAULT_VERIFY_DISTANCE",
                 "DEFAULT_COHORT_K", "DEFAULT_COHORT_FRACTION", "MIN_COHORT", "SMALL_ROSTER_THRESHOLD"):
        assert hasattr(face, name), name
    assert face.FaceIndex is face_index.FaceIndex
    assert face.DEFAULT_VERIFY_RATIO == face_index.DEFAULT_VERIFY_RATIO
