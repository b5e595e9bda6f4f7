"""Speaker verification on a prompted random digit string (resemblyzer GE2E, 256-d).

No Kivy here. resemblyzer and torch import lazily (about 1.5 s): call `VoiceEngine.warm_up()`
at start-up so the first person does not wait. Signal processing (voice activity, noise
suppression, the mel spectrogram) lives in `kiosk.voice_dsp` and does not need torch, so
`check_audio` is always fast. The calibration protocol is in `kiosk.voice_eval`
(`bench/voice_bench.py` prints it).

Pipeline for every clip: resample to 16 kHz -> 60 Hz high-pass (DC offset, rumble) -> the
check (`check_audio`) -> Wiener noise suppression -> keep the voiced
part (webrtcvad, resemblyzer's smoothing) -> level to -30 dBFS -> mel -> GE2E partial
embeddings (1.6 s windows) -> their L2-normalised mean. A template is the normalised mean
of three or more utterance embeddings. With a cohort of impostor embeddings the score is
adaptive S-norm (top-k cohort scores of both sides); without one it is the plain cosine.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from kiosk import voice_dsp as dsp
from kiosk.voice_prompt import make_digit_prompt  # noqa: F401 - part of this module's API

_LOG = logging.getLogger(__name__)

# Thresholds: chosen with `python bench/voice_bench.py ../shared/data` (kiosk.voice_eval:
# 10 enrolled speakers x up to 10 random 3-utterance templates; tests as recorded ("clean"),
# and cut to 2.5 s with white or 5-talker babble noise at 10 dB SNR ("kiosk")). Noise
# lowers genuine and impostor scores alike, so the threshold follows the clip's measured
# SNR (`AudioCheck.snr_db`): the "noisy" value at <= 12 dB (the kiosk mixes measure 8-17 dB),
# the clean value at >= 25 dB (clean clips: median 30 dB), linear in between. Values picked
# for a low false-accept rate in both conditions: with the cohort, clean FNMR 0.2 % / FMR 0.3 %
# and kiosk FNMR ~11 % / FMR ~1.5 %; without, clean 0.3 % / 1.3 % and kiosk ~11 % / ~1.9 %.
# A failed check offers a retry with new digits. Exact figures: the bench's last line.
DEFAULT_NORM_THRESHOLD = 2.5  # adaptive S-norm score, clean clip (cohort given: recommended)
DEFAULT_NORM_NOISY_THRESHOLD = 1.5  # adaptive S-norm score, noisy clip
DEFAULT_THRESHOLD = 0.76  # plain cosine to the template, clean clip (no cohort)
DEFAULT_NOISY_THRESHOLD = 0.70  # plain cosine, noisy clip
CLEAN_SNR_DB = 25.0
NOISY_SNR_DB = 12.0
DEFAULT_TOP_K = 20  # cohort scores kept per side for adaptive S-norm

MIN_ENROL_UTTERANCES = 3
MIN_CLIP_SECONDS = 1.0  # shorter recordings: "too_short"
NO_SPEECH_SECONDS = 0.3  # less voiced audio than this: "no_speech" (we heard nobody)
MIN_SPEECH_SECONDS = 0.8  # some speech but less than this: "too_short" (say all the digits)
MIN_SPEECH_DBFS = -42.0  # level of the voiced frames; below: "too_quiet"
CLIP_LEVEL = 0.99  # |sample| at or above this fraction of full scale counts as clipped
CLIPPED_FRACTION = 0.005  # more clipped samples than this fraction: "clipped"
NORM_DBFS = -30.0  # resemblyzer's input level (audio_norm_target_dBFS)
PARTIAL_RATE = 1.3  # partial embeddings per second (resemblyzer's default)
# One thread: a 2.5 s clip embeds in ~50 ms either way, and with two the LSTM's threads
# spin against the UI (and anything else) for the 2 cores: 2-10x slower when loaded.
TORCH_THREADS = 1
MODEL_VERSION = "resemblyzer-0.1.4/ge2e-256/wiener-vad-v1"

MESSAGE_KEYS = {
    "no_speech": "voice.no_speech",
    "too_quiet": "voice.too_quiet",
    "clipped": "voice.clipped",
    "too_short": "voice.too_short",
    "mismatch": "voice.mismatch",
    "enrol_more": "voice.enrol_more",
}


class VoiceError(ValueError):
    """A clip or an enrolment cannot be used; `message_key` is for the UI."""

    def __init__(self, message_key: str, detail: str = "") -> None:
        """Keep the translation key and a log detail."""
        super().__init__(message_key if not detail else f"{message_key}: {detail}")
        self.message_key = message_key
        self.detail = detail


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


def _prepare(samples: Any, rate: int) -> np.ndarray:
    """Float32 mono samples at 16 kHz from int16/float samples or an AudioClip."""
    if hasattr(samples, "samples") and hasattr(samples, "sample_rate"):
        samples, rate = samples.samples, samples.sample_rate
    x = dsp.to_float(samples)
    if rate != dsp.RATE:
        from devices.audio import resample  # noqa: PLC0415 - only for unusual rates

        x = resample(x, int(rate), dsp.RATE).astype(np.float32)
    return x


def _check(raw: np.ndarray) -> tuple[AudioCheck, np.ndarray, np.ndarray]:
    """The check of 16 kHz audio, with the high-passed audio and its per-frame speech flags."""
    duration = len(raw) / dsp.RATE
    clipped = float(np.mean(np.abs(raw) >= CLIP_LEVEL)) if len(raw) else 0.0
    x = dsp.high_pass(raw)
    frame_snr = dsp.frame_snr_db(x)
    flags = dsp.speech_frames(x, snr_db=frame_snr)
    speech_seconds = float(flags.sum()) * dsp.FRAME / dsp.RATE
    # SNR of the voiced frames over the steady noise (a quality figure for the decision)
    snr_db = float(10 * np.log10(np.mean(10 ** (frame_snr[flags] / 10)))) if flags.any() else 0.0
    voiced = x[: len(flags) * dsp.FRAME].reshape(-1, dsp.FRAME)[flags] if len(flags) else x[:0]
    speech_dbfs = dsp.dbfs(voiced.reshape(-1)) if voiced.size else -120.0
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


def check_audio(samples: Any, rate: int = dsp.RATE) -> AudioCheck:
    """Can this recording be verified? Fast (no torch): about 10 ms for 3 s of audio."""
    return _check(_prepare(samples, rate))[0]


@dataclass(frozen=True)
class VoiceTemplate:
    """A person's voice: the mean of 3+ utterance embeddings, with the utterances kept."""

    embedding: np.ndarray = field(repr=False)
    utterances: np.ndarray = field(repr=False)
    speech_seconds: float = 0.0
    version: str = MODEL_VERSION

    def to_bytes(self) -> bytes:
        """Serialised (numpy .npz), for the store or the outbox."""
        buffer = io.BytesIO()
        np.savez(buffer, embedding=self.embedding.astype(np.float32),
                 utterances=self.utterances.astype(np.float32),
                 speech_seconds=np.float32(self.speech_seconds), version=np.array(self.version))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "VoiceTemplate":
        """Inverse of `to_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls(z["embedding"], z["utterances"], float(z["speech_seconds"]), str(z["version"]))


@dataclass(frozen=True)
class VoiceResult:
    """Outcome of a verification. `score` is compared with `threshold`; it is the S-norm
    score when a cohort was used, else the cosine (`cosine` is always the raw cosine)."""

    score: float | None
    accepted: bool
    reason: str  # "match" | "mismatch" | "no_speech" | "too_quiet" | "clipped" | "too_short"
    threshold: float
    cosine: float | None = None
    normalised: bool = False
    check: AudioCheck | None = None
    ms: float = 0.0

    @property
    def message_key(self) -> str | None:
        """Catalogue key for the person (None on a match)."""
        return MESSAGE_KEYS.get(self.reason)

    @property
    def heard_speech(self) -> bool:
        """False when the clip was unusable: retry the recording, do not count a mismatch."""
        return self.reason in ("match", "mismatch")


class _Encoder:
    """Lazy, thread-safe loader of resemblyzer's VoiceEncoder (imports torch)."""

    def __init__(self) -> None:
        """Nothing is imported yet."""
        self._model: Any = None
        self._torch: Any = None
        self._lock = threading.Lock()

    def get(self, threads: int | None = None) -> tuple[Any, Any]:
        """(torch module, VoiceEncoder on CPU), loaded on first use.

        `threads` (first call only) sets torch's intra-op threads for the whole process."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import torch  # noqa: PLC0415 - deliberately lazy (~1.5 s)

                    with warnings.catch_warnings():  # webrtcvad: pkg_resources; scipy.ndimage.morphology
                        warnings.simplefilter("ignore", (UserWarning, DeprecationWarning))
                        from resemblyzer import VoiceEncoder  # noqa: PLC0415

                    if threads:
                        torch.set_num_threads(threads)
                    model = VoiceEncoder("cpu", verbose=False)
                    model.eval()
                    self._torch = torch
                    self._model = model
        return self._torch, self._model


_ENCODER = _Encoder()


def normalise(v: np.ndarray) -> np.ndarray:
    """L2-normalised float32 copy (rows when 2-D)."""
    v = np.asarray(v, dtype=np.float32)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norm, 1e-12)


def as_norm(cosine: float, template: np.ndarray, probe: np.ndarray, cohort: np.ndarray,
            top_k: int = DEFAULT_TOP_K) -> float:
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


class VoiceEngine:
    """Embeds clips, enrols templates and verifies a person's prompted digits."""

    def __init__(self, threshold: float | None = None, cohort: np.ndarray | None = None,
                 top_k: int = DEFAULT_TOP_K, denoise: bool = True,
                 torch_threads: int | None = TORCH_THREADS, noisy_threshold: float | None = None) -> None:
        """`cohort`: (n, 256) embeddings of other speakers (n >= top_k; the calibration used 81);
        when given, scores are adaptive-S-normalised. `threshold` applies to clean clips and
        `noisy_threshold` to noisy ones (see the constants); a `threshold` alone applies to all."""
        self.cohort = None if cohort is None else normalise(np.asarray(cohort).reshape(-1, 256))
        if self.cohort is not None and len(self.cohort) < 2:
            raise ValueError("a cohort needs at least 2 embeddings")
        self.top_k = min(top_k, len(self.cohort)) if self.cohort is not None else top_k
        if threshold is None:
            normed = self.cohort is not None
            threshold = DEFAULT_NORM_THRESHOLD if normed else DEFAULT_THRESHOLD
            if noisy_threshold is None:
                noisy_threshold = DEFAULT_NORM_NOISY_THRESHOLD if normed else DEFAULT_NOISY_THRESHOLD
        self.threshold = float(threshold)
        self.noisy_threshold = float(threshold if noisy_threshold is None else noisy_threshold)
        self.denoise = denoise
        self.torch_threads = torch_threads
        self._warm: threading.Thread | None = None

    def warm_up(self) -> threading.Thread:
        """Import torch/resemblyzer and run one embedding in a background thread (idempotent)."""
        if self._warm is None:
            self._warm = threading.Thread(target=self._warm_body, name="voice-warm-up", daemon=True)
            self._warm.start()
        return self._warm

    def _warm_body(self) -> None:
        """Check and embed synthetic audio once (loads scipy.signal, webrtcvad, torch, the model)."""
        try:
            t = np.arange(2 * dsp.RATE) / dsp.RATE
            tone = (0.1 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
            self._embed_prepared(_check(tone)[1])
        except Exception:  # warm-up is an optimisation; a real failure shows on first use
            _LOG.exception("voice engine warm-up failed")

    def _embed_prepared(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(utterance embedding, partial embeddings) of high-passed 16 kHz float audio."""
        if self.denoise:
            x = dsp.wiener(x)
        mask = dsp.speech_mask(x)
        if mask.sum() >= NO_SPEECH_SECONDS * dsp.RATE:
            x = x[mask]
        level = dsp.dbfs(x)
        if level > -100:
            x = x * np.float32(10 ** ((NORM_DBFS - level) / 20.0))
        torch, model = _ENCODER.get(self.torch_threads)
        wav_slices, mel_slices = model.compute_partial_slices(len(x), PARTIAL_RATE, 0.75)
        if wav_slices[-1].stop >= len(x):
            x = np.pad(x, (0, wav_slices[-1].stop - len(x)))
        mel = dsp.mel_spectrogram(x)
        batch = np.stack([mel[s] for s in mel_slices])
        with torch.no_grad():
            partials = model(torch.from_numpy(batch)).numpy()
        return normalise(partials.mean(axis=0)), partials

    def embed(self, samples: Any, rate: int = dsp.RATE) -> np.ndarray:
        """256-d L2-normalised embedding of the voiced part of a clip (int16 or AudioClip)."""
        return self._embed_prepared(dsp.high_pass(_prepare(samples, rate)))[0]

    def enrol(self, clips: Sequence[Any]) -> VoiceTemplate:
        """A template from 3+ clips (AudioClip, int16 16 kHz arrays, or (samples, rate) pairs).

        Raises VoiceError("voice.enrol_more") for fewer clips, or the check's key for the
        first unusable clip (its index is in `detail`)."""
        clips = list(clips)
        if len(clips) < MIN_ENROL_UTTERANCES:
            raise VoiceError(MESSAGE_KEYS["enrol_more"], f"{len(clips)} of {MIN_ENROL_UTTERANCES}")
        embeddings, seconds = [], 0.0
        for index, clip in enumerate(clips):
            samples, rate = clip if isinstance(clip, tuple) else (clip, dsp.RATE)
            check, embedding = self.probe(samples, rate)
            if embedding is None:
                raise VoiceError(check.message_key or MESSAGE_KEYS["no_speech"],
                                 f"clip {index}: {check.reason}")
            embeddings.append(embedding)
            seconds += check.speech_seconds
        return self.template_from(embeddings, seconds)

    @staticmethod
    def template_from(embeddings: Sequence[np.ndarray], speech_seconds: float = 0.0) -> VoiceTemplate:
        """The template of utterance embeddings (their L2-normalised mean)."""
        utterances = normalise(np.stack(list(embeddings)))
        return VoiceTemplate(normalise(utterances.mean(axis=0)), utterances, round(speech_seconds, 2))

    def score(self, template: VoiceTemplate | np.ndarray, embedding: np.ndarray) -> tuple[float, float]:
        """(score compared with the threshold, raw cosine) of an embedding against a template."""
        vector = template.embedding if isinstance(template, VoiceTemplate) else normalise(template)
        cosine = float(vector @ embedding)
        if self.cohort is None:
            return cosine, cosine
        return as_norm(cosine, vector, embedding, self.cohort, self.top_k), cosine

    def threshold_for(self, snr_db: float) -> float:
        """The threshold for a clip of this SNR (linear between NOISY_SNR_DB and CLEAN_SNR_DB)."""
        weight = min(max((snr_db - NOISY_SNR_DB) / (CLEAN_SNR_DB - NOISY_SNR_DB), 0.0), 1.0)
        return self.noisy_threshold + weight * (self.threshold - self.noisy_threshold)

    def probe(self, samples: Any, rate: int = dsp.RATE) -> tuple[AudioCheck, np.ndarray | None]:
        """The check of a clip and, when usable, its embedding (None otherwise)."""
        check, x, _ = _check(_prepare(samples, rate))
        return check, (self._embed_prepared(x)[0] if check.ok else None)

    def verify(self, template: VoiceTemplate, samples: Any, rate: int = dsp.RATE) -> VoiceResult:
        """Check the clip, then compare its voice with the template."""
        start = time.perf_counter()
        check, embedding = self.probe(samples, rate)
        threshold = round(self.threshold_for(check.snr_db), 4)
        if embedding is None:
            return VoiceResult(None, False, check.reason, threshold, check=check,
                               ms=round(1000 * (time.perf_counter() - start), 1))
        score, cosine = self.score(template, embedding)
        accepted = score >= threshold
        return VoiceResult(round(score, 4), accepted, "match" if accepted else "mismatch",
                           threshold, round(cosine, 4), self.cohort is not None, check,
                           round(1000 * (time.perf_counter() - start), 1))


def save_cohort(path: str, embeddings: np.ndarray) -> None:
    """Write a cohort file (.npy of float32 (n, 256) L2-normalised embeddings)."""
    np.save(path, normalise(np.asarray(embeddings).reshape(-1, 256)))


def load_cohort(path: str) -> np.ndarray:
    """Read a cohort file written by `save_cohort`."""
    return normalise(np.load(path, allow_pickle=False))


def cohort_from(engine: VoiceEngine, clips: Iterable[Any]) -> np.ndarray:
    """Embeddings of impostor clips (one speaker each) for a cohort file."""
    return np.stack([engine.embed(clip) for clip in clips])
