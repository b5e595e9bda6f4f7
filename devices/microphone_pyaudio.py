"""Real microphone backend through PyAudio (PortAudio); no device -> unavailable."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any, Iterator

import numpy as np

from devices.audio import SAMPLE_RATE, AudioClip
from devices.base import DeviceError, DeviceHealth

_LOG = logging.getLogger(__name__)
KIND = "microphone"


@contextlib.contextmanager
def _quiet_stderr(enabled: bool) -> Iterator[None]:
    """Hide the C libraries' stderr chatter (ALSA, JACK) while PortAudio starts."""
    if not enabled:
        yield
        return
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class PyAudioMicrophone:
    """Records 16 kHz mono int16 from the default (or given) input device."""

    def __init__(
        self,
        device_index: int | None = None,
        sample_rate: int = SAMPLE_RATE,
        chunk: int = 1024,
        quiet_init: bool = True,
    ) -> None:
        """Remember the settings; PortAudio starts only in `open()`."""
        self.device_index = device_index
        self.sample_rate = sample_rate
        self.chunk = chunk
        self.quiet_init = quiet_init
        self._pa: Any = None
        self._lock = threading.Lock()
        self._health = DeviceHealth.not_open(KIND)

    def open(self) -> None:
        """Start PortAudio and look for the input device; none -> health unavailable."""
        with self._lock:
            if self._pa is not None:
                return
            try:
                import pyaudio  # noqa: PLC0415 - loaded only when a real microphone is used

                with _quiet_stderr(self.quiet_init):
                    pa = pyaudio.PyAudio()
            except Exception as exc:
                self._health = DeviceHealth.unavailable(KIND, f"PortAudio: {exc}")
                return
            try:
                if self.device_index is None:
                    info = pa.get_default_input_device_info()
                else:
                    info = pa.get_device_info_by_index(self.device_index)
                if int(info.get("maxInputChannels", 0)) < 1:
                    raise OSError(f"device {info.get('name')!r} has no input channel")
            except Exception as exc:
                pa.terminate()
                self._health = DeviceHealth.unavailable(KIND, f"no input device: {exc}")
                _LOG.info("no microphone: %s", exc)
                return
            self._pa = pa
            self._health = DeviceHealth.healthy(KIND, str(info.get("name", "")))

    def record(self, seconds: float) -> AudioClip:
        """Record `seconds` of audio (blocking); DeviceError if there is no working device."""
        with self._lock:
            if self._pa is None:
                raise DeviceError.from_health(self._health)
            import pyaudio  # noqa: PLC0415

            frames_wanted = max(0, int(round(seconds * self.sample_rate)))
            chunks: list[bytes] = []
            stream = None
            try:
                stream = self._pa.open(
                    format=pyaudio.paInt16,
                    channels=1,
                    rate=self.sample_rate,
                    input=True,
                    input_device_index=self.device_index,
                    frames_per_buffer=self.chunk,
                )
                remaining = frames_wanted
                while remaining > 0:
                    count = min(self.chunk, remaining)
                    chunks.append(stream.read(count, exception_on_overflow=False))
                    remaining -= count
            except Exception as exc:
                self._health = DeviceHealth.failed(KIND, f"recording failed: {exc}")
                raise DeviceError.from_health(self._health) from exc
            finally:
                if stream is not None:
                    with contextlib.suppress(Exception):
                        stream.stop_stream()
                        stream.close()
            self._health = DeviceHealth.healthy(KIND, self._health.detail)
        samples = np.frombuffer(b"".join(chunks), dtype="<i2")
        return AudioClip(samples, self.sample_rate)

    def health(self) -> DeviceHealth:
        """Current state of the microphone."""
        return self._health

    def close(self) -> None:
        """Stop PortAudio; safe to call twice."""
        with self._lock:
            if self._pa is not None:
                with contextlib.suppress(Exception):
                    self._pa.terminate()
                self._pa = None
            self._health = DeviceHealth.not_open(KIND)
