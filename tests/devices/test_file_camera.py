"""FileCamera over real face images and a real liveness video: frames, looping, changes, failures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from devices.camera import Camera, FileCamera, make_camera
from devices.camera_file import EMPTY_GREY, load_image_bgr


class FakeClock:
    """Manual clock for the camera's timing."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def camera(path: Path, clock: FakeClock, **options) -> FileCamera:
    """An opened file camera with no pacing, driven by `clock`."""
    cam = FileCamera(path, fps=0, clock=clock, sleep=clock.sleep, **options)
    cam.open()
    return cam


def put_atomically(source: Path, folder: Path, name: str) -> None:
    """Copy `source` into `folder` as `name` the way a test should: temp dot-file, then rename."""
    temp = folder / f".{name}.tmp"
    shutil.copyfile(source, temp)
    os.replace(temp, folder / name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_folder_of_faces_shows_images_in_sorted_order_and_loops(shared_data, clock):
    folder = shared_data / "faces" / "Wen_Jiabao"
    cam = camera(folder, clock, hold_seconds=1.0)
    assert isinstance(cam, Camera)
    assert cam.health().ok
    expected = [load_image_bgr(folder / f"{n}.jpg") for n in range(1, 11)]
    seen = []
    for second in range(12):
        clock.now = 100.0 + second + 0.5
        frame = cam.read()
        assert frame is not None and frame.dtype == np.uint8 and frame.ndim == 3
        seen.append(frame)
    for second in range(10):  # 1.jpg, 2.jpg, ... 10.jpg (natural order), one per second
        assert np.array_equal(seen[second], expected[second])
    assert np.array_equal(seen[10], expected[0])  # and round again
    assert np.array_equal(seen[11], expected[1])
    cam.close()
    assert cam.read() is None
    assert cam.health().message_key == "device.camera.not_open"


def test_what_the_camera_sees_follows_the_folder(shared_data, clock, tmp_path):
    faces = shared_data / "faces"
    cam = camera(tmp_path, clock)
    empty = cam.read()
    assert empty.shape == (480, 640, 3) and np.all(empty == EMPTY_GREY)  # nobody there
    put_atomically(faces / "Yao_Ming" / "1.jpg", tmp_path, "person.jpg")
    assert np.array_equal(cam.read(), load_image_bgr(faces / "Yao_Ming" / "1.jpg"))
    put_atomically(faces / "Zhang_Ziyi" / "1.jpg", tmp_path, "person.jpg")  # someone else steps up
    assert np.array_equal(cam.read(), load_image_bgr(faces / "Zhang_Ziyi" / "1.jpg"))
    (tmp_path / "person.jpg").unlink()
    assert np.all(cam.read() == EMPTY_GREY)
    assert cam.health().ok


def test_folder_that_disappears_is_unavailable_then_recovers(shared_data, clock, tmp_path):
    folder = tmp_path / "cam"
    folder.mkdir()
    put_atomically(shared_data / "faces" / "Li_Peng" / "1.jpg", folder, "1.jpg")
    cam = camera(folder, clock)
    assert cam.read() is not None
    shutil.rmtree(folder)
    assert cam.read() is None
    assert cam.health().state == "unavailable"
    assert cam.health().message_key == "device.camera.unavailable"
    folder.mkdir()
    put_atomically(shared_data / "faces" / "Li_Peng" / "2.jpg", folder, "1.jpg")
    assert cam.read() is not None
    assert cam.health().ok


def test_missing_source_at_open_is_unavailable(tmp_path, clock):
    cam = camera(tmp_path / "nothing-here", clock)
    assert cam.health().state == "unavailable"
    assert cam.read() is None


def test_corrupt_image_gives_error_state_not_a_crash(shared_data, clock, tmp_path):
    good = shared_data / "faces" / "Gao_Qiang" / "1.jpg"
    data = good.read_bytes()
    (tmp_path / "2.jpg").write_bytes(data[: len(data) // 3])  # truncated JPEG
    put_atomically(good, tmp_path, "1.jpg")
    cam = camera(tmp_path, clock, hold_seconds=1.0)
    assert cam.read() is not None and cam.health().ok  # 1.jpg
    clock.now += 1.0
    assert cam.read() is None  # 2.jpg is broken
    assert cam.health().state == "error"
    assert cam.health().message_key == "device.camera.error"
    assert "2.jpg" in cam.health().detail
    clock.now += 1.0
    assert cam.read() is not None and cam.health().ok  # back to 1.jpg

    single = tmp_path / "garbage.png"
    single.write_bytes(b"not an image at all")
    broken = camera(single, clock)
    assert broken.health().state == "error"
    assert broken.read() is None


def test_exif_orientation_is_applied(shared_data, clock):
    photo = shared_data / "liveness" / "live_photo" / "silentface_image_T1.jpg"
    with Image.open(photo) as raw:
        assert raw.width > raw.height  # stored landscape with EXIF orientation 6
    frame = camera(photo, clock).read()
    assert frame.shape[0] > frame.shape[1]  # shown upright (portrait)


def test_wide_images_are_downscaled_to_640(shared_data, clock, tmp_path):
    image = load_image_bgr(shared_data / "faces" / "Barack_Obama" / "1.jpg")
    wide = cv2.resize(image, (image.shape[1] * 3, image.shape[0] * 3))
    cv2.imwrite(str(tmp_path / "big.png"), wide)
    frame = camera(tmp_path / "big.png", clock).read()
    assert frame.shape[1] == 640
    assert abs(frame.shape[0] - round(wide.shape[0] * 640 / wide.shape[1])) <= 1


def test_video_plays_at_its_fps_and_loops(shared_data, clock):
    video = shared_data / "liveness" / "live_video" / "WDA_KatieHill_000.mp4"  # 25 fps, 8 s
    cam = make_camera("file", str(video), fps=0, clock=clock, sleep=clock.sleep)
    cam.open()
    assert cam.health().ok
    first = cam.read()
    assert first.shape == (512, 512, 3)
    clock.now += 0.01
    assert np.array_equal(cam.read(), first)  # same frame until 1/25 s has passed
    clock.now += 0.5
    later = cam.read()
    assert not np.array_equal(later, first)  # the video moves on
    clock.now = 100.0 + 8.0  # 200 frames at 25 fps: back at the start
    assert np.array_equal(cam.read(), first)
    clock.now = 100.0 + 8.0 + 0.51
    assert np.array_equal(cam.read(), later)
    cam.close()


def test_deleted_or_corrupt_video_is_reported(shared_data, clock, tmp_path):
    video = tmp_path / "clip.mp4"
    shutil.copyfile(shared_data / "liveness" / "live_video" / "RD_Radio2_000.mp4", video)
    cam = camera(video, clock)
    assert cam.read() is not None
    video.unlink()
    clock.now += 0.2
    assert cam.read() is None
    assert cam.health().state == "unavailable"

    broken = tmp_path / "broken.mp4"
    broken.write_bytes((shared_data / "liveness" / "live_video" / "RD_Radio2_000.mp4").read_bytes()[:2000])
    bad = camera(broken, clock)
    assert bad.read() is None
    assert bad.health().state == "error"


def test_read_paces_itself_like_a_camera(shared_data, clock):
    cam = FileCamera(shared_data / "faces" / "Yao_Ming", fps=10, clock=clock, sleep=clock.sleep)
    cam.open()
    cam.read()
    cam.read()  # called again at once: waits for the next frame slot
    assert clock.slept == [pytest.approx(0.1)]


def test_factory_knows_the_backends(tmp_path):
    assert isinstance(make_camera("file", str(tmp_path)), FileCamera)
    with pytest.raises(ValueError):
        make_camera("file", None)
    with pytest.raises(ValueError, match="unknown camera backend"):
        make_camera("webcam", None)


def test_truncated_image_is_broken_even_after_face_recognition_loads(shared_data, tmp_path):
    """face_recognition switches PIL to accept truncated files; the camera must not."""
    import face_recognition  # noqa: F401  (its import changes PIL's global setting)
    from PIL import ImageFile

    from devices.camera_file import load_image_bgr

    data = (shared_data / "faces" / "Gao_Qiang" / "1.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    with pytest.raises(OSError):
        load_image_bgr(tmp_path / "cut.jpg")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as the other library wants it


def test_a_video_put_in_the_folder_plays_and_images_take_over_when_it_goes(shared_data, clock,
                                                                         tmp_path):
    """The simulator's folder can hold a live clip (a person moving) instead of photos."""
    video = shared_data / "liveness" / "live_video" / "WDA_KatieHill_000.mp4"
    cam = camera(tmp_path, clock)
    assert cam.read()[0, 0, 0] == EMPTY_GREY  # nobody there
    put_atomically(video, tmp_path, "person.mp4")
    first = cam.read()
    assert first.shape == (512, 512, 3)
    clock.now += 0.5
    assert not np.array_equal(cam.read(), first)  # it plays
    (tmp_path / "person.mp4").unlink()
    put_atomically(shared_data / "faces" / "Zhu_Rongji" / "1.jpg", tmp_path, "photo.jpg")
    assert cam.read().shape[:2] != (512, 512)
    cam.close()
