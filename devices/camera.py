"""Camera interface, its backends chosen by id, and the factory the kiosk calls."""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from devices.base import DeviceHealth
from devices.camera_file import FileCamera
from devices.camera_opencv import OpenCVCamera

__all__ = ["Camera", "CAMERA_BACKENDS", "FileCamera", "OpenCVCamera", "make_camera"]


@runtime_checkable
class Camera(Protocol):
    """A source of BGR frames; opening is explicit and failures show in `health()`."""

    def open(self) -> None:
        """Start the device; never raises for a missing device (see `health()`)."""

    def read(self) -> np.ndarray | None:
        """Latest frame as an HxWx3 BGR uint8 array, or None when there is none right now."""

    def health(self) -> DeviceHealth:
        """Current state for the UI and the logs."""

    def close(self) -> None:
        """Release the device; safe to call twice."""


def _opencv(source: str | None, **options: Any) -> OpenCVCamera:
    """OpenCV camera; `source` is an index ("0") or a device path, default index 0."""
    if source is None or str(source).strip() == "":
        return OpenCVCamera(0, **options)
    text = str(source).strip()
    return OpenCVCamera(int(text) if text.isdigit() else text, **options)


def _file(source: str | None, **options: Any) -> FileCamera:
    """File camera over a folder of images, one image or one video."""
    if not source:
        raise ValueError("the 'file' camera backend needs a source path")
    return FileCamera(source, **options)


CAMERA_BACKENDS: dict[str, Callable[..., Camera]] = {"opencv": _opencv, "file": _file}


def make_camera(backend: str, source: str | None = None, **options: Any) -> Camera:
    """Build the camera backend registered under `backend` (not opened yet).

    Raises ValueError for an unknown backend id or a file backend without a
    source: that is a configuration mistake to report at start-up.
    """
    try:
        factory = CAMERA_BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(CAMERA_BACKENDS))
        raise ValueError(f"unknown camera backend {backend!r} (known: {known})") from None
    return factory(source, **options)
