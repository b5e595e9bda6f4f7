"""OpenCVCamera on a machine without a camera: unavailable, no frames, no exception."""

import pytest

from devices.camera import Camera, OpenCVCamera, make_camera


def test_missing_camera_is_unavailable():
    cam = OpenCVCamera(index=97)
    assert isinstance(cam, Camera)
    assert cam.health().message_key == "device.camera.not_open"
    assert cam.read() is None
    cam.open()
    assert cam.health().state == "unavailable"
    assert cam.health().message_key == "device.camera.unavailable"
    assert cam.read() is None
    cam.close()
    cam.close()


def test_factory_parses_index_or_device_path():
    assert make_camera("opencv", None).index == 0
    assert make_camera("opencv", "2").index == 2
    assert make_camera("opencv", "/dev/video7").index == "/dev/video7"


def test_default_camera_without_hardware():
    cam = make_camera("opencv", None)
    cam.open()
    if cam.health().ok:
        cam.close()
        pytest.skip("this machine has a camera at index 0")
    assert cam.health().state == "unavailable"
    assert cam.read() is None
    cam.close()
