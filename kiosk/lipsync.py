"""Lip-sync check: does the mouth the camera sees move with the speech the microphone hears?

Input: the mouth opening per video frame, ``[(t, opening or None)]`` (None: no face; the
opening is `kiosk.liveness_features.mouth_opening`, the inner-lip gap over the inter-ocular
distance), and the microphone samples (16 kHz int16) over the same interval, with the
time of the first sample on the same clock.

Both signals are put on one uniform grid at the video frame rate: the mouth opening is
interpolated, the speech energy is the log RMS of the 300-3000 Hz band in a 40 ms window
around each grid time. Two correlations are computed, each the best Pearson r over lags
of up to +-200 ms:

* ``envelope``: mouth opening against the speech energy envelope, both band-passed to
  0.5-8 Hz (the syllable rate);
* ``activity``: how much the mouth moves (rolling standard deviation of the opening over
  0.36 s) against how loud the speech is (rolling mean of the log energy over 0.36 s).
  This follows speech/pause structure: a mouth moving during a pause, or still during
  speech, lowers it.

The decision uses ``LipSyncConfig.method`` (``activity`` by default). On the four real
talking-head clips of ../shared/data (8 s of continuous speech each) NEITHER correlation
separates a clip's own audio from another clip's audio in general; only the clip with
real pauses (AOC) separates clearly. See bench/liveness_bench.py for the figures; the
threshold is provisional until recordings of the kiosk's own prompted phrase exist.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from typing import Sequence

import numpy as np

SYNCED, NOT_SYNCED, NO_FACE, STILL_MOUTH, NO_SPEECH = (
    "synced", "not_synced", "no_face", "still_mouth", "no_speech")


@dataclass(frozen=True)
class LipSyncConfig:
    """Settings; times in seconds."""

    method: str = "activity"  # "activity" or "envelope"
    min_correlation: float = 0.5  # activity: own audio 0.03-0.63, foreign audio up to 0.49 (data)
    max_lag_s: float = 0.2
    energy_window_s: float = 0.04
    activity_window_s: float = 0.36
    band_hz: tuple[float, float] = (300.0, 3000.0)
    syllable_hz: tuple[float, float] = (0.5, 8.0)
    speech_db: float = 15.0  # a frame is speech when this far above the quietest 10 %
    min_speech_s: float = 0.5
    min_face_fraction: float = 0.6  # of the speech frames
    still_range: float = 0.06  # p95 - p5 of the opening: held photos ~0.01, talking >= 0.15
    max_gap_s: float = 0.2  # mouth values are not interpolated over longer face gaps


@dataclass(frozen=True)
class LipSyncResult:
    """Decision and the figures behind it."""

    decision: str  # synced | not_synced | no_face | still_mouth | no_speech
    correlation: float | None  # of the configured method
    lag_s: float | None  # positive: the audio comes after the mouth
    envelope_correlation: float | None
    activity_correlation: float | None
    speech_s: float
    face_fraction: float
    mouth_range: float | None

    @property
    def synced(self) -> bool:
        """True when the mouth follows the audio."""
        return self.decision == SYNCED


def speech_energy_db(audio: np.ndarray, sample_rate: int, times: np.ndarray, audio_t0: float,
                     window_s: float, band_hz: tuple[float, float]) -> np.ndarray:
    """Log energy (dB) of the speech band around each time (NaN outside the recording)."""
    samples = np.asarray(audio, dtype=np.float64).reshape(-1)
    if samples.size and np.issubdtype(np.asarray(audio).dtype, np.integer):
        samples = samples / 32768.0
    if samples.size:
        spectrum = np.fft.rfft(samples)
        freqs = np.fft.rfftfreq(samples.size, 1.0 / sample_rate)
        spectrum[(freqs < band_hz[0]) | (freqs > band_hz[1])] = 0.0
        samples = np.fft.irfft(spectrum, samples.size)
    half = window_s / 2.0
    out = np.full(len(times), np.nan)
    for i, t in enumerate(times):
        start = int(round((t - half - audio_t0) * sample_rate))
        stop = int(round((t + half - audio_t0) * sample_rate))
        if start < 0 or stop > samples.size or stop <= start:
            continue
        out[i] = 10.0 * np.log10(np.mean(samples[start:stop] ** 2) + 1e-10)
    return out


def _bandpass(x: np.ndarray, fps: float, band: tuple[float, float]) -> np.ndarray:
    """FFT band-pass of a uniformly sampled signal (mean removed)."""
    spectrum = np.fft.rfft(x - x.mean())
    freqs = np.fft.rfftfreq(x.size, 1.0 / fps)
    spectrum[(freqs < band[0]) | (freqs > band[1])] = 0.0
    return np.fft.irfft(spectrum, x.size)


def _rolling(x: np.ndarray, k: int, fn) -> np.ndarray:
    """Centred rolling statistic over k samples (shorter at the edges)."""
    half = k // 2
    return np.array([fn(x[max(0, i - half): i + half + 1]) for i in range(x.size)])


def best_lag_correlation(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[float, int]:
    """Highest Pearson r of a[i] against b[i + lag] for |lag| <= max_lag; (r, lag)."""
    best = (-1.0, 0)
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[: a.size - lag], b[lag:]) if lag >= 0 else (a[-lag:], b[: b.size + lag])
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 10 or np.std(x[ok]) < 1e-9 or np.std(y[ok]) < 1e-9:
            continue
        r = float(np.corrcoef(x[ok], y[ok])[0, 1])
        if r > best[0]:
            best = (r, lag)
    return best


def _uniform_mouth(track: Sequence[tuple[float, float | None]], max_gap: float):
    """Grid times, fps and interpolated mouth opening (NaN over long gaps)."""
    times = np.array([t for t, _ in track], dtype=np.float64)
    values = np.array([np.nan if v is None else v for _, v in track], dtype=np.float64)
    fps = 1.0 / float(np.median(np.diff(times)))
    grid = times[0] + np.arange(int(np.floor((times[-1] - times[0]) * fps)) + 1) / fps
    seen = np.isfinite(values)
    mouth = np.full(grid.size, np.nan)
    if seen.sum() >= 2:
        mouth = np.interp(grid, times[seen], values[seen])
        nearest = np.abs(grid[:, None] - times[seen][None, :]).min(axis=1)
        mouth[nearest > max_gap / 2.0] = np.nan
    return grid, fps, mouth


def assess_lipsync(mouth_track: Sequence[tuple[float, float | None]], audio: np.ndarray,
                   sample_rate: int = 16000, audio_t0: float = 0.0,
                   config: LipSyncConfig | None = None) -> LipSyncResult:
    """Decide whether the mouth movement follows the speech in `audio`."""
    cfg = config or LipSyncConfig()
    track = sorted(mouth_track, key=lambda item: item[0])
    if len(track) < 3:
        return LipSyncResult(NO_FACE, None, None, None, None, 0.0, 0.0, None)
    grid, fps, mouth = _uniform_mouth(track, cfg.max_gap_s)
    energy = speech_energy_db(audio, sample_rate, grid, audio_t0, cfg.energy_window_s, cfg.band_hz)
    heard = np.isfinite(energy)
    if heard.sum() < 3:
        return LipSyncResult(NO_SPEECH, None, None, None, None, 0.0, 0.0, None)
    floor = np.percentile(energy[heard], 10)
    speech = heard & (energy > floor + cfg.speech_db)
    speech_s = float(speech.sum() / fps)
    face = np.isfinite(mouth)
    face_fraction = float((face & speech).sum() / max(1, speech.sum()))
    mouth_range = float(np.ptp(np.percentile(mouth[face], [5, 95]))) if face.sum() >= 3 else None
    figures = (speech_s, face_fraction, mouth_range)
    if speech_s < cfg.min_speech_s:
        return LipSyncResult(NO_SPEECH, None, None, None, None, *figures)
    if face_fraction < cfg.min_face_fraction or mouth_range is None:
        return LipSyncResult(NO_FACE, None, None, None, None, *figures)
    if mouth_range < cfg.still_range:
        return LipSyncResult(STILL_MOUTH, None, None, None, None, *figures)
    both = face & heard
    mouth_f = np.where(face, mouth, np.nanmean(mouth[face]))
    energy_f = np.where(heard, energy, floor)
    max_lag = int(round(cfg.max_lag_s * fps))
    env_mouth = np.where(both, _bandpass(mouth_f, fps, cfg.syllable_hz), np.nan)
    env_audio = np.where(both, _bandpass(energy_f, fps, cfg.syllable_hz), np.nan)
    r_env, lag_env = best_lag_correlation(env_mouth, env_audio, max_lag)
    k = max(3, int(round(cfg.activity_window_s * fps)) | 1)
    act_mouth = np.where(both, _rolling(mouth_f, k, np.std), np.nan)
    act_audio = np.where(both, _rolling(energy_f, k, np.mean), np.nan)
    r_act, lag_act = best_lag_correlation(act_mouth, act_audio, max_lag)
    r, lag = (r_act, lag_act) if cfg.method == "activity" else (r_env, lag_env)
    decision = SYNCED if r >= cfg.min_correlation else NOT_SYNCED
    return LipSyncResult(decision, r, lag / fps, r_env, r_act, *figures)


def decode_audio(path: str | os.PathLike[str], sample_rate: int = 16000) -> np.ndarray:
    """Mono int16 samples of a media file's audio track (ffmpeg via a temporary WAV).

    Raises RuntimeError when ffmpeg fails or the file has no audio track.
    """
    handle, wav_path = tempfile.mkstemp(suffix=".wav")
    os.close(handle)
    try:
        done = subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", os.fspath(path), "-vn", "-ac", "1",
             "-ar", str(sample_rate), "-acodec", "pcm_s16le", wav_path],
            capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ffmpeg could not extract audio from {path}: {done.stderr.strip()}")
        with wave.open(wav_path, "rb") as wav:
            frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype="<i2").copy()
    finally:
        os.unlink(wav_path)
