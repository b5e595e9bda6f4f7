"""Fixtures of the voice tests: one engine, and the real recordings read in place
(``shared_data`` comes from tests/conftest.py and skips when the media are absent)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def voice_engine():
    """One VoiceEngine for the session (the model loads once)."""
    from kiosk.voice import VoiceEngine

    return VoiceEngine()


@pytest.fixture(scope="session")
def voice_clip(shared_data):
    """int16 16 kHz samples of voices/<speaker>/<n>.{flac,wav}, cached for the session."""
    from devices.audio import read_audio_file, resample, to_int16

    cache: dict[tuple[str, int], np.ndarray] = {}

    def clip(speaker: str, number: int) -> np.ndarray:
        if (speaker, number) not in cache:
            folder = shared_data / "voices" / speaker
            path = next(p for p in folder.iterdir() if p.stem == str(number))
            samples, rate = read_audio_file(path)
            cache[speaker, number] = to_int16(resample(samples, rate, 16000))
        return cache[speaker, number]

    return clip


def vowelish(seconds: float = 3.0, peak: float = 0.5) -> np.ndarray:
    """Synthetic voiced 'syllables' (harmonics of a gliding 140 Hz pitch, 3 per second, with
    gaps) as int16: enough for the voice-activity detector, no recordings needed."""
    t = np.arange(int(seconds * 16000)) / 16000
    phase = 2 * np.pi * np.cumsum(140 + 30 * np.sin(2 * np.pi * 0.7 * t)) / 16000
    x = sum(np.sin(k * phase) / k for k in range(1, 25)) * np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 0.5
    return np.round(x / np.abs(x).max() * peak * 32767).astype(np.int16)
