"""DeviceHealth and DeviceError: the small shared vocabulary of every device."""

from devices.base import DeviceError, DeviceHealth


def test_health_constructors_use_kind_message_keys():
    assert DeviceHealth.healthy("camera") == DeviceHealth("ok", "device.camera.ok", "")
    assert DeviceHealth.healthy("camera").ok
    missing = DeviceHealth.unavailable("microphone", "no device")
    assert (missing.state, missing.message_key, missing.detail) == (
        "unavailable", "device.microphone.unavailable", "no device")
    assert not missing.ok
    assert DeviceHealth.failed("speaker").state == "error"
    assert DeviceHealth.not_open("camera").message_key == "device.camera.not_open"


def test_device_error_carries_the_message_key():
    error = DeviceError.from_health(DeviceHealth.unavailable("microphone", "no input device"))
    assert error.message_key == "device.microphone.unavailable"
    assert error.detail == "no input device"
    assert "device.microphone.unavailable" in str(error)
