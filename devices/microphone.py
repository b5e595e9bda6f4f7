"""Microphone interface, its backends chosen by id, and the factory the kiosk calls."""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from devices.audio import SAMPLE_RATE, AudioClip
from devices.base import DeviceHealth
from devices.microphone_file import FileMicrophone
from devices.microphone_pyaudio import PyAudioMicrophone

__all__ = [
    "AudioClip",
    "FileMicrophone",
    "MICROPHONE_BACKENDS",
    "Microphone",
    "PyAudioMicrophone",
    "SAMPLE_RATE",
    "make_microphone",
]


@runtime_checkable
class Microphone(Protocol):
    """A source of 16 kHz mono speech clips; opening is explicit, failures show in `health()`."""

    def open(self) -> None:
        """Start the device; never raises for a missing device (see `health()`)."""

    def record(self, seconds: float) -> AudioClip:
        """Record up to `seconds`; raises devices.base.DeviceError (with a message key) on failure."""

    def health(self) -> DeviceHealth:
        """Current state for the UI and the logs."""

    def close(self) -> None:
        """Release the device; safe to call twice."""


def _pyaudio(source: str | None, **options: Any) -> PyAudioMicrophone:
    """PyAudio microphone; `source` is an input device index, default device if None."""
    text = "" if source is None else str(source).strip()
    return PyAudioMicrophone(int(text) if text else None, **options)


def _file(source: str | None, **options: Any) -> FileMicrophone:
    """File microphone over one audio file or a folder of them."""
    if not source:
        raise ValueError("the 'file' microphone backend needs a source path")
    return FileMicrophone(source, **options)


MICROPHONE_BACKENDS: dict[str, Callable[..., Microphone]] = {"pyaudio": _pyaudio, "file": _file}


def make_microphone(backend: str, source: str | None = None, **options: Any) -> Microphone:
    """Build the microphone backend registered under `backend` (not opened yet).

    Raises ValueError for an unknown backend id or a file backend without a source.
    """
    try:
        factory = MICROPHONE_BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(MICROPHONE_BACKENDS))
        raise ValueError(f"unknown microphone backend {backend!r} (known: {known})") from None
    return factory(source, **options)
