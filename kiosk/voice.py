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
of three or more utterance embeddings. The score is the cosine to the template (or, with
`scoring="snorm"` and a big enough cohort, adaptive S-norm); the threshold depends on the
clip's SNR and on how many utterances of the attempt were fused (`verify_many`/`judge`).
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
from kiosk.voice_dsp import (  # noqa: F401 - the recording check is part of this module's API
    CLIP_LEVEL, CLIPPED_FRACTION, MESSAGE_KEYS, MIN_CLIP_SECONDS, MIN_SPEECH_DBFS, MIN_SPEECH_SECONDS,
    NO_SPEECH_SECONDS, AudioCheck, as_norm, check_audio, check_prepared, normalise, prepare,
)
from kiosk.voice_prompt import make_digit_prompt  # noqa: F401 - part of this module's API

_LOG = logging.getLogger(__name__)

# Thresholds: the calibrated values live in the identity policy (kiosk/identity_policy.json,
# read by `VoiceEngine.from_policy`; docs/ACCURACY.md says how they were chosen with
# bench/identity_eval.py). The constants below equal the shipped file and are the fallback
# of a bare `VoiceEngine()`. Noise lowers genuine and impostor scores alike, so the threshold
# follows the clip's measured SNR (`AudioCheck.snr_db`): the "noisy" value at <= 12 dB (the
# kiosk mixes measure 8-17 dB), the clean value at >= 25 dB, linear in between. Two
# utterances of one attempt are fused (the normalised sum of their embeddings) and judged
# against the "fused" thresholds. Scoring is the plain cosine: adaptive S-norm against a
# cohort gave a lower EER but a worse tail on the data (a Mandarin template against a
# mostly English cohort is lifted), and the tail is what the kiosk's "no false accept"
# target depends on; S-norm stays available (`scoring="snorm"`) from `min_cohort` cohort
# embeddings on.
DEFAULT_THRESHOLD = 0.80  # plain cosine to the template, one clean utterance
DEFAULT_NOISY_THRESHOLD = 0.74  # plain cosine, one noisy utterance
DEFAULT_FUSED_THRESHOLD = 0.76  # two utterances fused, clean
DEFAULT_FUSED_NOISY_THRESHOLD = 0.70  # two utterances fused, noisy
DEFAULT_NORM_THRESHOLD = 2.5  # adaptive S-norm score, clean clip (scoring "snorm" only)
DEFAULT_NORM_NOISY_THRESHOLD = 1.5  # adaptive S-norm score, noisy clip
DEFAULT_SCORING = "cosine"
DEFAULT_MIN_COHORT = 40  # cohort embeddings (rows) needed before S-norm is used (data: ACCURACY.md)
CLEAN_SNR_DB = 25.0
NOISY_SNR_DB = 12.0
DEFAULT_TOP_K = 20  # cohort scores kept per side for adaptive S-norm

MIN_ENROL_UTTERANCES = 3
NORM_DBFS = -30.0  # resemblyzer's input level (audio_norm_target_dBFS)
PARTIAL_RATE = 1.3  # partial embeddings per second (resemblyzer's default)
# One thread: a 2.5 s clip embeds in ~50 ms either way, and with two the LSTM's threads
# spin against the UI (and anything else) for the 2 cores: 2-10x slower when loaded.
TORCH_THREADS = 1
MODEL_VERSION = "resemblyzer-0.1.4/ge2e-256/wiener-vad-v1"


class VoiceError(ValueError):
    """A clip or an enrolment cannot be used; `message_key` is for the UI."""

    def __init__(self, message_key: str, detail: str = "") -> None:
        """Keep the translation key and a log detail."""
        super().__init__(message_key if not detail else f"{message_key}: {detail}")
        self.message_key = message_key
        self.detail = detail



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
    """Outcome of a verification. `score` is compared with `threshold`: the S-norm score when
    a big enough cohort was used (`normalised`), else the cosine (`cosine` is always the raw
    cosine). `utterances` counts the usable clips fused into it (two: the second digit string)."""

    score: float | None
    accepted: bool
    reason: str  # "match" | "mismatch" | "no_speech" | "too_quiet" | "clipped" | "too_short"
    threshold: float
    cosine: float | None = None
    normalised: bool = False
    check: AudioCheck | None = None
    ms: float = 0.0
    utterances: int = 1
    cohort_size: int = 0  # cohort embeddings offered with the call (used or not)

    @property
    def message_key(self) -> str | None:
        """Catalogue key for the person (None on a match)."""
        return MESSAGE_KEYS.get(self.reason)

    @property
    def heard_speech(self) -> bool:
        """False when the clip was unusable: retry the recording, do not count a mismatch."""
        return self.reason in ("match", "mismatch")

    @property
    def margin(self) -> float | None:
        """Score minus threshold (pass it to identity_policy.decide as `voice_margin`)."""
        return None if self.score is None else round(self.score - self.threshold, 4)


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


def cohort_matrix(cohort: Any) -> np.ndarray | None:
    """Rows of cohort embeddings from VoiceTemplates (their mean embedding: one row per
    person), an (n, 256) array (each row counts) or None."""
    if cohort is None:
        return None
    if isinstance(cohort, VoiceTemplate):
        cohort = [cohort]
    if isinstance(cohort, (list, tuple)):
        rows = [c.embedding if isinstance(c, VoiceTemplate) else np.asarray(c).reshape(-1, 256)
                for c in cohort]
        if not rows:
            return None
        cohort = np.concatenate([np.asarray(r, dtype=np.float32).reshape(-1, 256) for r in rows])
    cohort = np.asarray(cohort, dtype=np.float32).reshape(-1, 256)
    return normalise(cohort) if len(cohort) else None


class VoiceEngine:
    """Embeds clips, enrols templates and verifies a person's prompted digits."""

    def __init__(self, threshold: float | None = None, cohort: np.ndarray | None = None,
                 top_k: int = DEFAULT_TOP_K, denoise: bool = True,
                 torch_threads: int | None = TORCH_THREADS, noisy_threshold: float | None = None, *,
                 fused_threshold: float | None = None, fused_noisy_threshold: float | None = None,
                 norm_threshold: float | None = None, norm_noisy_threshold: float | None = None,
                 scoring: str | None = None, min_cohort: int = DEFAULT_MIN_COHORT,
                 clean_snr_db: float = CLEAN_SNR_DB, noisy_snr_db: float = NOISY_SNR_DB) -> None:
        """Threshold defaults equal the shipped policy file (a test keeps them so); `from_policy`
        takes the values of a loaded policy.

        `cohort`: (n, 256) embeddings of other speakers used when a call passes none; given
        here it switches `scoring` to "snorm" (as before) and a `threshold` then applies to
        the S-norm score. `threshold` applies to clean clips and `noisy_threshold` to noisy
        ones; a `threshold` alone applies to all, fused ones included. With `scoring`
        "snorm", calls whose cohort has fewer than `min_cohort` rows use the cosine."""
        self.cohort = cohort_matrix(cohort)
        if self.cohort is not None and len(self.cohort) < 2:
            raise ValueError("a cohort needs at least 2 embeddings")
        self.scoring = scoring or ("snorm" if self.cohort is not None else DEFAULT_SCORING)
        if self.scoring not in ("cosine", "snorm"):
            raise ValueError(f"unknown voice scoring {self.scoring!r}")
        self.top_k = top_k
        self.min_cohort = max(2, int(min_cohort))
        if self.cohort is not None and scoring is None and threshold is not None and norm_threshold is None:
            norm_threshold, norm_noisy_threshold, threshold = threshold, noisy_threshold, None
            noisy_threshold = None
        if threshold is not None and noisy_threshold is None and fused_threshold is None:
            noisy_threshold = fused_threshold = fused_noisy_threshold = threshold
        if norm_threshold is not None and norm_noisy_threshold is None:
            norm_noisy_threshold = norm_threshold
        pick = lambda value, default: float(default if value is None else value)  # noqa: E731
        self.threshold = pick(threshold, DEFAULT_THRESHOLD)
        self.noisy_threshold = pick(noisy_threshold, DEFAULT_NOISY_THRESHOLD)
        self.fused_threshold = pick(fused_threshold, DEFAULT_FUSED_THRESHOLD)
        self.fused_noisy_threshold = pick(fused_noisy_threshold, DEFAULT_FUSED_NOISY_THRESHOLD)
        self.norm_threshold = pick(norm_threshold, DEFAULT_NORM_THRESHOLD)
        self.norm_noisy_threshold = pick(norm_noisy_threshold, DEFAULT_NORM_NOISY_THRESHOLD)
        self.clean_snr_db, self.noisy_snr_db = float(clean_snr_db), float(noisy_snr_db)
        self.denoise = denoise
        self.torch_threads = torch_threads
        self._warm: threading.Thread | None = None

    @classmethod
    def from_policy(cls, policy: Any, **kwargs: Any) -> "VoiceEngine":
        """An engine at the operating point of an identity policy (kiosk.identity_policy)."""
        return cls(**{**policy.voice_engine_options(), **kwargs})

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
            self._embed_prepared(check_prepared(tone)[1])
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
        return self._embed_prepared(dsp.high_pass(prepare(samples, rate)))[0]

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

    def _cohort_for(self, cohort: Any) -> tuple[np.ndarray | None, int]:
        """(cohort rows S-norm will use, or None for the cosine; cohort entries offered)."""
        if cohort is None:
            rows = self.cohort
        elif self.scoring != "snorm":  # not used: count only (templates or rows)
            return None, len(cohort) if isinstance(cohort, (list, tuple)) else len(np.atleast_2d(cohort))
        else:
            rows = cohort_matrix(cohort)
        offered = 0 if rows is None else len(rows)
        if self.scoring != "snorm" or rows is None or offered < self.min_cohort:
            return None, offered
        return rows, offered

    def score(self, template: VoiceTemplate | np.ndarray, embedding: np.ndarray,
              cohort: Any = None) -> tuple[float, float]:
        """(score compared with the threshold, raw cosine) of an embedding against a template."""
        return self._score(template, embedding, self._cohort_for(cohort)[0])

    @staticmethod
    def _score(template: VoiceTemplate | np.ndarray, embedding: np.ndarray, rows: np.ndarray | None,
               top_k: int = DEFAULT_TOP_K) -> tuple[float, float]:
        """`score` with the cohort rows already chosen (None: the cosine)."""
        vector = template.embedding if isinstance(template, VoiceTemplate) else normalise(template)
        cosine = float(vector @ embedding)
        if rows is None:
            return cosine, cosine
        return as_norm(cosine, vector, embedding, rows, min(top_k, len(rows))), cosine

    def threshold_for(self, snr_db: float, utterances: int = 1, normalised: bool | None = None) -> float:
        """The threshold for a clip of this SNR (linear between the noisy and clean SNR), for
        one utterance or several fused; `normalised` None: S-norm if the engine has a cohort."""
        if normalised is None:
            normalised = self._cohort_for(None)[0] is not None
        if normalised:
            clean, noisy = self.norm_threshold, self.norm_noisy_threshold
        elif utterances > 1:
            clean, noisy = self.fused_threshold, self.fused_noisy_threshold
        else:
            clean, noisy = self.threshold, self.noisy_threshold
        span = max(self.clean_snr_db - self.noisy_snr_db, 1e-6)
        weight = min(max((snr_db - self.noisy_snr_db) / span, 0.0), 1.0)
        return noisy + weight * (clean - noisy)

    def probe(self, samples: Any, rate: int = dsp.RATE) -> tuple[AudioCheck, np.ndarray | None]:
        """The check of a clip and, when usable, its embedding (None otherwise)."""
        check, x, _ = check_prepared(prepare(samples, rate))
        return check, (self._embed_prepared(x)[0] if check.ok else None)

    def judge(self, template: VoiceTemplate, probes: Sequence[tuple[AudioCheck, np.ndarray | None]],
              cohort: Any = None, ms: float = 0.0) -> VoiceResult:
        """The verdict on already embedded clips (`probe` results) of one attempt.

        The usable ones are fused (normalised sum of embeddings) and judged at the threshold
        of their count and of the lowest SNR among them. None usable: the last clip's reason
        (what the person must change). `verify` and `verify_many` are this after `probe`."""
        usable = [(c, e) for c, e in probes if e is not None]
        rows, offered = self._cohort_for(cohort)
        if not usable:
            check = probes[-1][0] if probes else None
            reason = check.reason if check is not None else "no_speech"
            return VoiceResult(None, False, reason, round(self.threshold_for(0.0, 1, rows is not None), 4),
                               check=check, ms=round(ms, 1), utterances=0, cohort_size=offered)
        embedding = normalise(np.sum([e for _, e in usable], axis=0))
        snr_db = min(c.snr_db for c, _ in usable)
        threshold = round(self.threshold_for(snr_db, len(usable), rows is not None), 4)
        score, cosine = self._score(template, embedding, rows, self.top_k)
        accepted = score >= threshold
        check = usable[-1][0] if len(usable) == 1 else min((c for c, _ in usable), key=lambda c: c.snr_db)
        return VoiceResult(round(score, 4), accepted, "match" if accepted else "mismatch", threshold,
                           round(cosine, 4), rows is not None, check, round(ms, 1), len(usable), offered)

    def verify(self, template: VoiceTemplate, samples: Any, rate: int = dsp.RATE,
               cohort: Any = None) -> VoiceResult:
        """Check one clip, then compare its voice with the template.

        `cohort`: the other roster persons' voices (VoiceTemplates, or an (n, 256) array of
        their utterance embeddings), without the claimed person; used only by "snorm"
        scoring from `min_cohort` rows on (the shipped policy scores the plain cosine)."""
        start = time.perf_counter()
        check, embedding = self.probe(samples, rate)
        return self.judge(template, [(check, embedding)], cohort, 1000 * (time.perf_counter() - start))

    def verify_many(self, template: VoiceTemplate, clips: Sequence[Any], cohort: Any = None,
                    rate: int = dsp.RATE) -> VoiceResult:
        """Verify the digit strings of one attempt together (clips: samples, AudioClips or
        (samples, rate) pairs): the usable ones are fused, the unusable ones ignored.
        Re-embeds every clip; keep `probe` results and call `judge` to avoid that."""
        start = time.perf_counter()
        probes = []
        for clip in clips:
            samples, clip_rate = clip if isinstance(clip, tuple) else (clip, rate)
            probes.append(self.probe(samples, clip_rate))
        return self.judge(template, probes, cohort, 1000 * (time.perf_counter() - start))


def cohort_from(engine: VoiceEngine, clips: Iterable[Any]) -> np.ndarray:
    """Embeddings of impostor clips (one speaker each) for a cohort file."""
    return np.stack([engine.embed(clip) for clip in clips])
