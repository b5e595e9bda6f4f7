"""Simulated camera fed by files: a folder of images (or holding a video), one image, or
one video (looping)."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps

from devices.base import DeviceHealth

_LOG = logging.getLogger(__name__)
KIND = "camera"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov"})
EMPTY_SIZE = (480, 640)  # rows, columns of the "nobody there" frame
EMPTY_GREY = 128


class _CorruptSource(Exception):
    """The source exists but cannot be decoded."""


def _natural_key(name: str) -> list[object]:
    """Sort key so that 2.jpg comes before 10.jpg."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def fit_width(frame: np.ndarray, max_width: int) -> np.ndarray:
    """Downscale `frame` to `max_width` columns if it is wider, keeping the aspect ratio."""
    height, width = frame.shape[:2]
    if not max_width or width <= max_width:
        return frame
    new_height = max(1, round(height * max_width / width))
    return cv2.resize(frame, (max_width, new_height), interpolation=cv2.INTER_AREA)


# face_recognition sets PIL's global LOAD_TRUNCATED_IMAGES on import, which would turn a
# truncated file into half a picture with a grey bottom; a camera must report it broken.
_STRICT_DECODE = threading.Lock()


def load_image_bgr(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode an image file to BGR uint8, applying the JPEG EXIF orientation.

    A truncated file raises OSError whatever other libraries set globally.
    """
    with _STRICT_DECODE:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with Image.open(path) as image:
                upright = ImageOps.exif_transpose(image)
                rgb = np.asarray(upright.convert("RGB"))
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved
    return np.ascontiguousarray(rgb[:, :, ::-1])


class FileCamera:
    """Camera that shows files: images held `hold_seconds` each in sorted order, or a video.

    A folder is re-listed when its modification time changes (and while that time
    is under a second old), so a test changes what the camera sees by adding or
    removing files (write to a dot-file, then rename: dot-files are ignored).
    The sequence restarts at the first image when the listing changes.
    An empty folder shows a plain grey 640x480 frame (nobody in front).
    `read()` paces itself to `fps` like a real camera (pass fps=0 to disable);
    `clock` and `sleep` are injectable so tests control time.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float = 15.0,
        hold_seconds: float = 1.0,
        max_width: int = 640,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Remember the source; nothing is read until `open()`."""
        self.path = Path(path)
        self._video_path: Path | None = None
        self.fps = fps
        self.hold_seconds = hold_seconds
        self.max_width = max_width
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._opened = False
        self._health = DeviceHealth.not_open(KIND)
        self._t0 = 0.0
        self._next_due: float | None = None
        self._listing_mtime: int | None = None
        self._listing: list[Path] = []
        self._images: dict[Path, tuple[tuple[int, int, int], np.ndarray]] = {}
        self._cap: cv2.VideoCapture | None = None
        self._video_sig: tuple[int, int, int] | None = None
        self._video_fps = 0.0
        self._video_count = 0
        self._video_pos = 0
        self._video_last: np.ndarray | None = None

    # -- public interface -------------------------------------------------------------
    def open(self) -> None:
        """Start the simulated camera and check the source once (health tells the result)."""
        with self._lock:
            self._opened = True
            self._t0 = self._clock()
            self._next_due = None
        self.read_unpaced()

    def read(self) -> np.ndarray | None:
        """Frame due now (after waiting for the next frame slot), or None if the source fails."""
        if not self._opened:
            return None
        self._pace()
        return self.read_unpaced()

    def read_unpaced(self) -> np.ndarray | None:
        """Frame due now without waiting for the frame slot."""
        with self._lock:
            if not self._opened:
                return None
            try:
                frame = self._frame_now()
            except FileNotFoundError as exc:
                self._release_video()
                return self._fail(DeviceHealth.unavailable(KIND, f"{self.path}: {exc}"))
            except _CorruptSource as exc:
                return self._fail(DeviceHealth.failed(KIND, str(exc)))
            except Exception as exc:  # a broken file must never crash the kiosk
                return self._fail(DeviceHealth.failed(KIND, f"{self.path}: {exc!r}"))
            if not self._health.ok:
                _LOG.info("file camera %s: frames again", self.path)
            self._health = DeviceHealth.healthy(KIND, str(self.path))
            return fit_width(frame, self.max_width)

    def health(self) -> DeviceHealth:
        """Current state of the simulated camera."""
        return self._health

    def close(self) -> None:
        """Stop; safe to call twice."""
        with self._lock:
            self._opened = False
            self._release_video()
            self._images.clear()
            self._listing_mtime = None
            self._health = DeviceHealth.not_open(KIND)

    # -- helpers ----------------------------------------------------------------------
    def _fail(self, health: DeviceHealth) -> None:
        """Record a bad health (logged once per change) and give no frame."""
        if health != self._health:
            _LOG.warning("file camera: %s (%s)", health.message_key, health.detail)
        self._health = health
        return None

    def _pace(self) -> None:
        """Wait until the next frame slot, like a real camera's blocking read."""
        if not self.fps or self.fps <= 0:
            return
        now = self._clock()
        if self._next_due is not None and now < self._next_due:
            self._sleep(self._next_due - now)
            now = self._next_due
        self._next_due = now + 1.0 / self.fps

    def _elapsed(self) -> float:
        """Seconds since `open()` (or since the folder listing last changed)."""
        return max(0.0, self._clock() - self._t0)

    def _frame_now(self) -> np.ndarray:
        """Decode the frame the source shows at this moment."""
        stat = os.stat(self.path)  # FileNotFoundError when the source disappeared
        if self.path.is_dir():
            video = self._folder_video()
            if video is None:
                return self._folder_frame(stat.st_mtime_ns)
            self._video_path = video
            return self._video_frame(os.stat(video))
        if self.path.suffix.lower() in VIDEO_SUFFIXES:
            self._video_path = self.path
            return self._video_frame(stat)
        return self._image(self.path).copy()

    def _folder_video(self) -> Path | None:
        """The first video of the folder: a folder holding a video plays it (looping)."""
        videos = sorted((entry.name for entry in os.scandir(self.path)
                         if entry.is_file() and not entry.name.startswith(".")
                         and Path(entry.name).suffix.lower() in VIDEO_SUFFIXES), key=_natural_key)
        if not videos:
            if self._cap is not None:
                self._release_video()
            return None
        return self.path / videos[0]

    def _folder_frame(self, mtime_ns: int) -> np.ndarray:
        """Image of the folder due now, or grey when the folder is empty."""
        # Directory times are coarse (one kernel tick): a listing less than a second old
        # is not trusted and is read again, so quick successive changes are all seen.
        racy = time.time_ns() - mtime_ns < 1_000_000_000
        if mtime_ns != self._listing_mtime or racy:
            names = [
                entry.name
                for entry in os.scandir(self.path)
                if entry.is_file()
                and not entry.name.startswith(".")
                and Path(entry.name).suffix.lower() in IMAGE_SUFFIXES
            ]
            listing = [self.path / name for name in sorted(names, key=_natural_key)]
            if self._listing_mtime is not None and listing != self._listing:
                self._t0 = self._clock()  # the scene changed: start again at the first image
            self._listing = listing
            self._listing_mtime = mtime_ns
            self._images = {p: v for p, v in self._images.items() if p in listing}
        if not self._listing:
            return np.full((*EMPTY_SIZE, 3), EMPTY_GREY, dtype=np.uint8)
        hold = self.hold_seconds if self.hold_seconds > 0 else float("inf")
        index = int(self._elapsed() / hold) % len(self._listing)
        return self._image(self._listing[index]).copy()

    def _image(self, path: Path) -> np.ndarray:
        """Decoded image, cached until the file's mtime or size changes."""
        stat = os.stat(path)
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._images.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        try:
            frame = fit_width(load_image_bgr(path), self.max_width)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise _CorruptSource(f"{path}: cannot decode image ({exc})") from exc
        self._images[path] = (signature, frame)
        return frame

    # -- video ------------------------------------------------------------------------
    def _open_video(self, signature: tuple[int, int, int]) -> None:
        """Open the video file at its first frame; a new file resets fps and length."""
        same_file = signature == self._video_sig
        learned_count = self._video_count
        self._release_video()
        cap = cv2.VideoCapture(str(self._video_path))
        if not cap.isOpened():
            cap.release()
            raise _CorruptSource(f"{self._video_path}: cannot open video")
        self._cap = cap
        self._video_sig = signature
        self._video_pos = 0
        if same_file:
            self._video_count = learned_count
            return
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._video_fps = fps if fps and 0 < fps < 1000 else (self.fps or 25.0)
        self._video_count = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0)

    def _release_video(self) -> None:
        """Close the video file, if any."""
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._video_sig = None
        self._video_last = None

    def _video_frame(self, stat: os.stat_result) -> np.ndarray:
        """Video frame due at the elapsed time, played at the file's fps and looping."""
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._cap is None or signature != self._video_sig:
            self._open_video(signature)
        target = int(self._elapsed() * self._video_fps)
        for _attempt in range(3):
            if self._video_count:
                target %= self._video_count
            if self._video_last is not None and target == self._video_pos - 1:
                return self._video_last.copy()
            if target < self._video_pos:
                self._open_video(signature)
            frame = self._decode_until(target)
            if frame is not None:
                self._video_last = frame
                return frame.copy()
            if self._video_pos == 0:
                raise _CorruptSource(f"{self._video_path}: video has no decodable frame")
            self._video_count = self._video_pos  # the real length: wrap around
            self._open_video(signature)
        raise _CorruptSource(f"{self._video_path}: video stops decoding")

    def _decode_until(self, target: int) -> np.ndarray | None:
        """Skip to frame `target` and decode it; None at the end of the file."""
        assert self._cap is not None
        while self._video_pos < target:
            if not self._cap.grab():
                return None
            self._video_pos += 1
        ok, frame = self._cap.read()
        if not ok or frame is None:
            return None
        self._video_pos += 1
        return frame
