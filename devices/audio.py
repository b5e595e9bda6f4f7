"""Audio clips: 16 kHz mono int16 samples, WAV encoding, file decoding and resampling."""

from __future__ import annotations

import importlib.util
import io
import os
import wave
from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000


def soundfile_available() -> bool:
    """True if the optional `soundfile` module (FLAC, OGG, float WAV) is installed."""
    return importlib.util.find_spec("soundfile") is not None


def supported_suffixes() -> frozenset[str]:
    """Audio file suffixes the file microphone can decode on this installation."""
    if soundfile_available():
        return frozenset({".wav", ".flac", ".ogg"})
    return frozenset({".wav"})


@dataclass(frozen=True)
class AudioClip:
    """Mono int16 samples at `sample_rate` (16 kHz unless told otherwise)."""

    samples: np.ndarray = field(repr=False)
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        """Store the samples as a 1-D int16 array."""
        object.__setattr__(self, "samples", np.asarray(self.samples, dtype=np.int16).reshape(-1))

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / float(self.sample_rate)

    def to_wav_bytes(self) -> bytes:
        """The clip as a 16-bit mono PCM WAV file."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.sample_rate)
            out.writeframes(self.samples.astype("<i2").tobytes())
        return buffer.getvalue()

    def to_float(self) -> np.ndarray:
        """Samples as float32 in [-1, 1) (what speech models usually take)."""
        return self.samples.astype(np.float32) / 32768.0

    @classmethod
    def from_wav_bytes(cls, data: bytes, sample_rate: int = SAMPLE_RATE) -> "AudioClip":
        """Decode PCM WAV bytes, mixed to mono and resampled to `sample_rate`."""
        samples, rate = _read_wav(io.BytesIO(data))
        return cls(to_int16(resample(samples, rate, sample_rate)), sample_rate)


def _read_wav(source: str | os.PathLike[str] | io.BytesIO) -> tuple[np.ndarray, int]:
    """PCM WAV through the standard library: float mono samples and the sample rate."""
    with wave.open(source if isinstance(source, io.BytesIO) else os.fspath(source), "rb") as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        data = value.astype(np.float32) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise ValueError(f"unsupported WAV sample width {width}")
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return data, rate


def read_audio_file(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Decode an audio file to float mono samples in [-1, 1] and its sample rate.

    Uses `soundfile` when installed (WAV, FLAC, OGG); otherwise WAV only, through
    the standard library. Raises FileNotFoundError, or ValueError when undecodable.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    if soundfile_available():
        import soundfile  # noqa: PLC0415 - optional dependency

        try:
            data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises its own LibsndfileError
            raise ValueError(f"cannot decode {path}: {exc}") from exc
        return data.mean(axis=1), int(rate)
    if not path.lower().endswith(".wav"):
        raise ValueError(f"cannot decode {path}: install 'soundfile' for non-WAV audio")
    try:
        return _read_wav(path)
    except (wave.Error, EOFError, ValueError) as exc:
        raise ValueError(f"cannot decode {path}: {exc}") from exc


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling by FFT (zero-padding or truncating the spectrum)."""
    samples = np.asarray(samples, dtype=np.float64)
    if rate == target or len(samples) == 0:
        return samples
    count = max(1, round(len(samples) * target / rate))
    spectrum = np.fft.rfft(samples)
    keep = count // 2 + 1
    if keep <= len(spectrum):
        spectrum = spectrum[:keep]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(keep - len(spectrum), dtype=complex)])
    return np.fft.irfft(spectrum, n=count) * (count / len(samples))


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to clipped int16."""
    return np.clip(np.round(np.asarray(samples) * 32768.0), -32768, 32767).astype(np.int16)
