"""Simulated microphone fed by a WAV file or a folder of audio files (one per recording)."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from devices.audio import SAMPLE_RATE, AudioClip, read_audio_file, resample, supported_suffixes, to_int16
from devices.base import DeviceError, DeviceHealth

_LOG = logging.getLogger(__name__)
KIND = "microphone"


def _natural_key(name: str) -> list[object]:
    """Sort key so that 2.wav comes before 10.wav."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class FileMicrophone:
    """Microphone that "hears" files: each `record()` returns the next file of the folder.

    Files are cycled in sorted order (the folder is re-listed on each call), mixed
    to mono and resampled to 16 kHz; at most `seconds` of each are returned. With
    `realtime=True`, `record()` takes as long as a real recording would.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        sample_rate: int = SAMPLE_RATE,
        realtime: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Remember the source; nothing is read until `open()`."""
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.realtime = realtime
        self._sleep = sleep
        self._lock = threading.Lock()
        self._opened = False
        self._next = 0
        self._cache: dict[Path, tuple[tuple[int, int, int], np.ndarray]] = {}
        self._health = DeviceHealth.not_open(KIND)

    def open(self) -> None:
        """Start and check that the source holds at least one readable audio file."""
        with self._lock:
            self._opened = True
            self._next = 0
            try:
                files = self._files()
            except DeviceError:
                return
            if not files:
                self._health = DeviceHealth.unavailable(KIND, self._empty_detail())
            else:
                self._health = DeviceHealth.healthy(KIND, str(self.path))

    def record(self, seconds: float) -> AudioClip:
        """Up to `seconds` of the next file; raises DeviceError with the health message key."""
        with self._lock:
            if not self._opened:
                raise DeviceError.from_health(DeviceHealth.not_open(KIND))
            files = self._files()
            if not files:
                self._set(DeviceHealth.unavailable(KIND, self._empty_detail()))
                raise DeviceError.from_health(self._health)
            path = files[self._next % len(files)]
            self._next += 1
            samples = self._decode(path)
            self._set(DeviceHealth.healthy(KIND, str(self.path)))
        clip = AudioClip(samples[: max(0, int(round(seconds * self.sample_rate)))], self.sample_rate)
        if self.realtime:
            self._sleep(max(0.0, seconds))
        return clip

    def health(self) -> DeviceHealth:
        """Current state of the simulated microphone."""
        return self._health

    def close(self) -> None:
        """Stop; safe to call twice."""
        with self._lock:
            self._opened = False
            self._cache.clear()
            self._health = DeviceHealth.not_open(KIND)

    def _set(self, health: DeviceHealth) -> None:
        """Record a new health, logging changes to a bad state."""
        if health != self._health and not health.ok:
            _LOG.warning("file microphone: %s (%s)", health.message_key, health.detail)
        self._health = health

    def _empty_detail(self) -> str:
        """Why a source yields no file (hints at the missing FLAC decoder)."""
        hint = ""
        if ".flac" not in supported_suffixes():
            hint = "; FLAC/OGG need the 'soundfile' package"
        return f"{self.path}: no readable audio files{hint}"

    def _files(self) -> list[Path]:
        """Audio files of the source, in natural sorted order; DeviceError if it is missing."""
        suffixes = supported_suffixes()
        try:
            if self.path.is_dir():
                names = [
                    e.name
                    for e in os.scandir(self.path)
                    if e.is_file() and not e.name.startswith(".")
                    and Path(e.name).suffix.lower() in suffixes
                ]
                return [self.path / n for n in sorted(names, key=_natural_key)]
            if self.path.is_file():
                return [self.path]
        except OSError as exc:
            self._set(DeviceHealth.unavailable(KIND, f"{self.path}: {exc}"))
            raise DeviceError.from_health(self._health) from exc
        self._set(DeviceHealth.unavailable(KIND, f"{self.path}: not found"))
        raise DeviceError.from_health(self._health)

    def _decode(self, path: Path) -> np.ndarray:
        """16 kHz mono int16 samples of `path`, cached until the file changes."""
        try:
            stat = os.stat(path)
            signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == signature:
                return cached[1]
            data, rate = read_audio_file(path)
        except FileNotFoundError as exc:
            self._set(DeviceHealth.unavailable(KIND, f"{path}: not found"))
            raise DeviceError.from_health(self._health) from exc
        except Exception as exc:  # a corrupt file must never crash the kiosk
            self._set(DeviceHealth.failed(KIND, f"{path}: {exc}"))
            raise DeviceError.from_health(self._health) from exc
        samples = to_int16(resample(data, rate, self.sample_rate))
        self._cache[path] = (signature, samples)
        return samples
