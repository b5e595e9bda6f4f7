"""Real camera backend: a V4L2/USB camera read through OpenCV's VideoCapture."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Iterator

import cv2
import numpy as np

from devices.base import DeviceHealth

_LOG = logging.getLogger(__name__)
KIND = "camera"


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own warnings (e.g. "can't open camera by index") for a moment."""
    log = getattr(getattr(cv2, "utils", None), "logging", None)
    if log is None:
        yield
        return
    previous = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        log.setLogLevel(previous)


class OpenCVCamera:
    """Camera at `index` (or a device path) via cv2.VideoCapture; missing camera -> unavailable."""

    def __init__(
        self,
        index: int | str = 0,
        width: int = 640,
        height: int = 480,
        api_preference: int = cv2.CAP_ANY,
        max_failures: int = 30,
    ) -> None:
        """Remember the settings; the device is opened only by `open()`."""
        self.index = index
        self.width = width
        self.height = height
        self.api_preference = api_preference
        self.max_failures = max_failures
        self._cap: cv2.VideoCapture | None = None
        self._failures = 0
        self._health = DeviceHealth.not_open(KIND)
        self._lock = threading.Lock()

    def open(self) -> None:
        """Open the camera; if there is none, health says unavailable (no exception)."""
        with self._lock:
            if self._cap is not None:
                return
            try:
                with _quiet_opencv():
                    cap = cv2.VideoCapture(self.index, self.api_preference)
                    opened = cap.isOpened()
            except Exception as exc:  # OpenCV may raise cv2.error on odd back-ends
                _LOG.warning("camera %r failed to open: %s", self.index, exc)
                self._health = DeviceHealth.failed(KIND, f"camera {self.index!r}: {exc}")
                return
            if not opened:
                cap.release()
                self._health = DeviceHealth.unavailable(KIND, f"no camera at {self.index!r}")
                _LOG.info("no camera at %r", self.index)
                return
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            self._cap = cap
            self._failures = 0
            self._health = DeviceHealth.healthy(KIND, f"camera {self.index!r}")

    def read(self) -> np.ndarray | None:
        """Next frame (blocks for about one frame period), or None if the camera gives none."""
        with self._lock:
            if self._cap is None:
                return None
            try:
                ok, frame = self._cap.read()
            except Exception as exc:
                ok, frame = False, None
                _LOG.debug("camera read raised: %s", exc)
            if not ok or frame is None:
                self._failures += 1
                if self._failures >= self.max_failures:
                    self._health = DeviceHealth.failed(
                        KIND, f"camera {self.index!r} gave no frame {self._failures} times"
                    )
                return None
            self._failures = 0
            if not self._health.ok:
                self._health = DeviceHealth.healthy(KIND, f"camera {self.index!r}")
            return frame

    def health(self) -> DeviceHealth:
        """Current state of the camera."""
        return self._health

    def close(self) -> None:
        """Release the camera; safe to call twice."""
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None
            self._health = DeviceHealth.not_open(KIND)
