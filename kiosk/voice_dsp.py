"""Signal processing for voice verification: levels, voice activity, noise suppression, mel.

Pure numpy/scipy (plus the small `webrtcvad` extension), so `check_audio` never pays for the
torch import. The mel spectrogram reproduces resemblyzer's `wav_to_mel_spectrogram`
(librosa STFT, centre zero-padding, periodic Hann, Slaney mel bank, power 2) to float
precision without librosa, whose numba compilation costs seconds on first use. The
recording check (`check_audio`: too short, clipped, no speech, too quiet, with the SNR) and
the score helpers (`normalise`, `as_norm`) live here too; kiosk.voice re-exports them.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 16000
FRAME = 480  # 30 ms, one of webrtcvad's frame sizes
N_FFT = 400  # 25 ms mel window (resemblyzer hparams)
HOP = 160  # 10 ms
N_MELS = 40

VAD_MODE = 3  # webrtcvad's most aggressive setting (fewest noise frames called speech)
VAD_TARGET_DBFS = -20.0  # loud frames are brought to this level before the VAD
VAD_MAX_GAIN_DB = 40.0
SPEECH_ABOVE_FLOOR_DB = 3.0  # a speech frame's power stands this far above steady noise
ABSOLUTE_FLOOR_DBFS = -65.0  # nothing quieter than this is speech
SMOOTH_FRAMES = 8  # resemblyzer: moving average width of the VAD flags
DILATE_FRAMES = 6  # resemblyzer: longest kept silence inside speech

# The recording check (kiosk.voice re-exports it): what the person is told when a clip is
# unusable, told apart from a voice that did not match.
MIN_CLIP_SECONDS = 1.0  # shorter recordings: "too_short"
NO_SPEECH_SECONDS = 0.3  # less voiced audio than this: "no_speech" (we heard nobody)
MIN_SPEECH_SECONDS = 0.8  # some speech but less than this: "too_short" (say all the digits)
MIN_SPEECH_DBFS = -42.0  # level of the voiced frames; below: "too_quiet"
CLIP_LEVEL = 0.99  # |sample| at or above this fraction of full scale counts as clipped
CLIPPED_FRACTION = 0.005  # more clipped samples than this fraction: "clipped"

MESSAGE_KEYS = {
    "no_speech": "voice.no_speech",
    "too_quiet": "voice.too_quiet",
    "clipped": "voice.clipped",
    "too_short": "voice.too_short",
    "mismatch": "voice.mismatch",
    "enrol_more": "voice.enrol_more",
}

_VAD_LOCK = threading.Lock()
_VAD_MODULE: Any = None


def _webrtcvad() -> Any:
    """The webrtcvad module (it imports pkg_resources, which warns on recent setuptools)."""
    global _VAD_MODULE
    if _VAD_MODULE is None:
        with _VAD_LOCK:
            if _VAD_MODULE is None:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                    import webrtcvad  # noqa: PLC0415 - small C extension, imported on first use

                _VAD_MODULE = webrtcvad
    return _VAD_MODULE


def to_float(samples: np.ndarray) -> np.ndarray:
    """int16 (or float in [-1, 1]) samples as a float32 array in [-1, 1]."""
    samples = np.asarray(samples).reshape(-1)
    if samples.dtype.kind in "iu":
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32)


def high_pass(x: np.ndarray, cutoff: float = 60.0) -> np.ndarray:
    """Remove DC offset and rumble (2nd-order Butterworth). Some recordings carry a DC offset
    as loud as the speech, which would hide the speech from the level gate and the VAD."""
    from scipy.signal import butter, sosfiltfilt  # noqa: PLC0415

    x = np.asarray(x, dtype=np.float32)
    if len(x) < 64:
        return x - np.float32(x.mean()) if len(x) else x
    sos = butter(2, cutoff, "highpass", fs=RATE, output="sos")
    return sosfiltfilt(sos, x - x.mean()).astype(np.float32)


def dbfs(x: np.ndarray) -> float:
    """RMS level in dB relative to full scale (-inf-safe: -120 for silence)."""
    if len(x) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * float(np.log10(max(rms, 1e-6)))


def frame_levels(x: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """dBFS of consecutive `frame`-sample frames (the tail shorter than a frame is dropped)."""
    n = len(x) // frame
    if n == 0:
        return np.zeros(0)
    power = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    return 10.0 * np.log10(power + 1e-12)


def noise_power(power: np.ndarray, quantile: float = 0.1) -> np.ndarray:
    """Noise power per frequency bin of a (bins, frames) power spectrogram.

    The `quantile` over time, corrected for the exponential distribution of noise power
    (quantile q of an exponential is -ln(1-q) times its mean). Speech leaves most
    time-frequency cells empty, so this finds steady noise (fan, hiss, hum, crowd murmur)
    even in a clip that is all speech, with no VAD.
    """
    return np.quantile(power, quantile, axis=1) / -np.log1p(-quantile) + 1e-20


def frame_snr_db(x: np.ndarray, n_fft: int = 512) -> np.ndarray:
    """Estimated SNR (dB) of each 30 ms frame: its power over the clip's steady-noise power."""
    n = len(x) // FRAME
    if n == 0:
        return np.zeros(0)
    frames = x[: n * FRAME].reshape(n, FRAME).astype(np.float64)
    power = np.abs(np.fft.rfft(frames * np.hanning(FRAME), n=n_fft, axis=1)) ** 2  # (frames, bins)
    noise = noise_power(power.T)
    return 10.0 * np.log10((power.sum(axis=1) + 1e-20) / noise.sum())


def speech_frames(x: np.ndarray, gate: bool = True, snr_db: np.ndarray | None = None) -> np.ndarray:
    """Boolean per 30 ms frame: webrtcvad says speech and the frame rises above steady noise.

    The VAD runs on a copy whose loud frames are brought to -20 dBFS (at most +40 dB), so
    quiet speech is still found (and then reported as too quiet rather than absent). On
    that copy webrtcvad calls any steady sound speech (hiss, hum, fan, a tone), so the gate
    keeps only frames `SPEECH_ABOVE_FLOOR_DB` above the clip's steady-noise power
    (`noise_power`) and above -65 dBFS. `snr_db`: `frame_snr_db(x)` if already computed.
    """
    levels = frame_levels(x)
    n = len(levels)
    if n == 0:
        return np.zeros(0, dtype=bool)
    gain_db = min(VAD_TARGET_DBFS - float(np.percentile(levels, 95)), VAD_MAX_GAIN_DB)
    pcm = np.clip(np.round(x[: n * FRAME] * (10 ** (gain_db / 20.0)) * 32768.0), -32768, 32767)
    raw = pcm.astype("<i2").tobytes()
    vad = _webrtcvad().Vad(VAD_MODE)
    step = FRAME * 2
    flags = np.fromiter((vad.is_speech(raw[i * step:(i + 1) * step], RATE) for i in range(n)),
                        dtype=bool, count=n)
    if not gate:
        return flags
    snr_db = frame_snr_db(x) if snr_db is None else snr_db
    return flags & (snr_db >= SPEECH_ABOVE_FLOOR_DB) & (levels >= ABSOLUTE_FLOOR_DBFS)


def speech_mask(x: np.ndarray, flags: np.ndarray | None = None) -> np.ndarray:
    """Per-sample mask of the speech to keep for embedding (resemblyzer's smoothing/dilation).

    Without `flags`, the plain VAD decides (no level gate): measured on the calibration
    set, gating the embedding input as well cost accuracy in noise."""
    if flags is None:
        flags = speech_frames(x, gate=False)
    mask = np.zeros(len(x), dtype=bool)
    if len(flags) == 0:
        return mask
    width = SMOOTH_FRAMES
    padded = np.concatenate((np.zeros((width - 1) // 2), flags.astype(float), np.zeros(width // 2)))
    csum = np.cumsum(padded)
    csum[width:] = csum[width:] - csum[:-width]
    smooth = np.round(csum[width - 1:] / width).astype(bool)
    # binary dilation by DILATE_FRAMES + 1 (centred, as scipy.ndimage.binary_dilation)
    k = DILATE_FRAMES + 1
    left, right = k // 2, k - 1 - k // 2
    idx = np.flatnonzero(smooth)
    kept = np.zeros(len(smooth) + k, dtype=int)
    np.add.at(kept, np.clip(idx - right, 0, None), 1)
    np.add.at(kept, idx + left + 1, -1)
    dilated = np.cumsum(kept)[: len(smooth)] > 0
    mask[: len(dilated) * FRAME] = np.repeat(dilated, FRAME)
    return mask


def wiener(x: np.ndarray, n_fft: int = 512, hop: int = 128, quantile: float = 0.1,
           gain_floor: float = 0.1, alpha: float = 0.98) -> np.ndarray:
    """Single-channel noise suppression: Wiener gain with decision-directed a-priori SNR.

    The noise power of each frequency bin comes from `noise_power` (no VAD needed).
    `gain_floor` limits suppression to -20 dB, which keeps the "musical noise" low.
    """
    from scipy.signal import istft, stft  # noqa: PLC0415 - scipy.signal import is slowish

    x = np.asarray(x, dtype=np.float32)
    if len(x) < n_fft:
        return x
    _, _, spec = stft(x, RATE, nperseg=n_fft, noverlap=n_fft - hop)
    power = np.abs(spec) ** 2
    noise = noise_power(power, quantile)
    posterior = power / noise[:, None]
    gains = np.empty_like(power)
    previous = np.zeros(power.shape[0])
    for k in range(power.shape[1]):
        prior = alpha * previous / noise + (1 - alpha) * np.maximum(posterior[:, k] - 1.0, 0.0)
        g = np.maximum(prior / (1.0 + prior), gain_floor)
        gains[:, k] = g
        previous = g * g * power[:, k]
    _, y = istft(spec * gains, RATE, nperseg=n_fft, noverlap=n_fft - hop)
    return y[: len(x)].astype(np.float32)


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa's default, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz,
                    min_log_hz / f_sp + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep,
                    f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    """Inverse of `_hz_to_mel`."""
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters() -> np.ndarray:
    """(40, 201) Slaney-normalised mel filter bank, as librosa.filters.mel(sr=16000, n_fft=400)."""
    fft_freqs = np.fft.rfftfreq(N_FFT, 1.0 / RATE)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return weights.astype(np.float32)


_MEL_BANK = mel_filters()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram, the input of resemblyzer's encoder."""
    wav = np.asarray(wav, dtype=np.float32)
    y = np.pad(wav, (N_FFT // 2, N_FFT // 2))
    n = 1 + (len(y) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    power = np.abs(np.fft.rfft(y[index] * _WINDOW, axis=1)) ** 2
    return (power @ _MEL_BANK.T).astype(np.float32)


@dataclass(frozen=True)
class AudioCheck:
    """Whether a recording can be verified, and why not ("ok" or a reason of VoiceResult)."""

    reason: str
    duration: float
    speech_seconds: float
    speech_dbfs: float
    clipped_fraction: float
    snr_db: float = 0.0  # voiced frames over steady background noise

    @property
    def ok(self) -> bool:
        """True when the clip is usable."""
        return self.reason == "ok"

    @property
    def message_key(self) -> str | None:
        """Catalogue key telling the person what to do, None when usable."""
        return MESSAGE_KEYS.get(self.reason)


def prepare(samples: Any, rate: int) -> np.ndarray:
    """Float32 mono samples at 16 kHz from int16/float samples or an AudioClip."""
    if hasattr(samples, "samples") and hasattr(samples, "sample_rate"):
        samples, rate = samples.samples, samples.sample_rate
    x = to_float(samples)
    if rate != RATE:
        from devices.audio import resample  # noqa: PLC0415 - only for unusual rates

        x = resample(x, int(rate), RATE).astype(np.float32)
    return x


def check_prepared(raw: np.ndarray) -> tuple[AudioCheck, np.ndarray, np.ndarray]:
    """The check of 16 kHz audio, with the high-passed audio and its per-frame speech flags."""
    duration = len(raw) / RATE
    clipped = float(np.mean(np.abs(raw) >= CLIP_LEVEL)) if len(raw) else 0.0
    x = high_pass(raw)
    frame_snr = frame_snr_db(x)
    flags = speech_frames(x, snr_db=frame_snr)
    speech_seconds = float(flags.sum()) * FRAME / RATE
    # SNR of the voiced frames over the steady noise (a quality figure for the decision)
    snr_db = float(10 * np.log10(np.mean(10 ** (frame_snr[flags] / 10)))) if flags.any() else 0.0
    voiced = x[: len(flags) * FRAME].reshape(-1, FRAME)[flags] if len(flags) else x[:0]
    speech_dbfs = dbfs(voiced.reshape(-1)) if voiced.size else -120.0
    if duration < MIN_CLIP_SECONDS:
        reason = "too_short"
    elif clipped > CLIPPED_FRACTION:
        reason = "clipped"
    elif speech_seconds < NO_SPEECH_SECONDS:
        reason = "no_speech"
    elif speech_dbfs < MIN_SPEECH_DBFS:
        reason = "too_quiet"
    elif speech_seconds < MIN_SPEECH_SECONDS:
        reason = "too_short"
    else:
        reason = "ok"
    check = AudioCheck(reason, round(duration, 3), round(speech_seconds, 3),
                       round(speech_dbfs, 1), round(clipped, 5), round(snr_db, 1))
    return check, x, flags


def check_audio(samples: Any, rate: int = RATE) -> AudioCheck:
    """Can this recording be verified? Fast (no torch): about 10 ms for 3 s of audio."""
    return check_prepared(prepare(samples, rate))[0]


def normalise(v: np.ndarray) -> np.ndarray:
    """L2-normalised float32 copy (rows when 2-D)."""
    v = np.asarray(v, dtype=np.float32)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norm, 1e-12)


def as_norm(cosine: float, template: np.ndarray, probe: np.ndarray, cohort: np.ndarray,
            top_k: int = 20) -> float:
    """Adaptive symmetric score normalisation against impostor embeddings (rows of `cohort`).

    Each side is standardised by the mean and deviation of its `top_k` highest cohort
    cosines, and the two z-scores are averaged. A shared channel or noise that lifts every
    score of the probe lifts its cohort scores too, so the normalised score stays put.
    """
    sides = []
    for vector in (template, probe):
        scores = np.sort(cohort @ vector)[-top_k:] if top_k else cohort @ vector
        sides.append((cosine - float(scores.mean())) / max(float(scores.std()), 1e-3))
    return 0.5 * (sides[0] + sides[1])
