"""Calibration protocol of the voice check on real recordings (``shared/data/voices``).

Used by ``bench/voice_bench.py`` (prints the table) and reusable by larger evaluations::

    from kiosk.voice_eval import voice_scores
    scores = voice_scores("../shared/data/voices", seed=0)
    scores["conditions"]["white"]["raw"]["genuine"]  # numpy arrays of scores

Protocol (like the kiosk: staff-supervised enrolment, a short prompted check-in later):
- enrolled speakers: every speaker with 4+ utterances (3 to enrol, 1+ to test);
- templates: up to `templates_per_speaker` random 3-utterance subsets per speaker (seeded),
  each built from the clean, full-length recordings;
- genuine trials: the speaker's other utterances; impostor trials: every utterance of
  every other speaker in the folder (including those with one utterance only);
- conditions of the test utterance: "clean" (as recorded), "cut" (a seeded 2.5 s window
  among those holding the most speech, like a prompted answer; `REPEATS` per utterance),
  "white" (the cut plus white noise at 10 dB SNR) and "babble" (the cut plus five other
  speakers of the folder, summed, at 10 dB SNR; only speakers who are never enrolled, so
  that no impostor clip carries the claimed voice); "kiosk" pools white and babble;
- scores: "raw" (cosine to the template) and "norm" (adaptive S-norm, top-k, against a
  cohort of the folder's one-utterance speakers, leaving the tested speaker out);
- a test clip that fails `check_audio` is not scored; it is counted under "unusable".
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np

from kiosk import voice_dsp as dsp
from kiosk.voice import DEFAULT_TOP_K, VoiceEngine, as_norm, normalise

CUT_SECONDS = 2.5
SNR_DB = 10.0
BABBLE_TALKERS = 5
MIN_TEMPLATE_UTTERANCES = 4  # 3 to enrol + 1 to test
MIN_COHORT = 3  # one-utterance speakers needed for "norm" scores (2 left after leave-one-out)
REPEATS = 2  # cuts (and noises) per test utterance under the kiosk conditions
TEST_CONDITIONS = ("clean", "cut", "white", "babble")

Utterance = tuple[str, int, int]  # (speaker, index in the speaker's sorted files, repeat)


AUDIO_SUFFIXES = (".wav", ".flac")


def load_voices(data_dir: str | Path) -> dict[str, list[np.ndarray]]:
    """Float32 16 kHz samples of every speaker's files, in file-number order.

    `data_dir` is the data folder or its voices/ subfolder, laid out voices/<speaker>/<n>.
    {wav,flac}; labels.csv is not needed (files whose stem is not a number come last, by
    name)."""
    from devices.audio import read_audio_file, resample  # noqa: PLC0415

    data_dir = Path(data_dir)
    if (data_dir / "voices").is_dir():
        data_dir = data_dir / "voices"
    found: dict[str, list[np.ndarray]] = {}
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES]
        files.sort(key=lambda p: (0, int(p.stem), "") if p.stem.isdigit() else (1, 0, p.name))
        clips = []
        for path in files:
            samples, rate = read_audio_file(path)
            if rate != dsp.RATE:
                samples = resample(samples, rate, dsp.RATE)
            clips.append(np.asarray(samples, dtype=np.float32).reshape(-1))
        if clips:
            found[folder.name] = clips
    return found


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`speech` plus `noise` scaled so that their power ratio is `snr_db`."""
    ps = float(np.mean(np.square(speech, dtype=np.float64)))
    pn = float(np.mean(np.square(noise, dtype=np.float64))) + 1e-20
    return (speech + noise * np.sqrt(ps / (pn * 10 ** (snr_db / 10)))).astype(np.float32)


def _speech_windows(x: np.ndarray, length: int) -> np.ndarray:
    """Start samples of the `length` windows that hold most speech (as a prompted clip does):
    at least 1.5 s of voiced frames in the clean recording, or 80 % of the best window's."""
    if len(x) <= length:
        return np.zeros(1, dtype=int)
    flags = dsp.speech_frames(dsp.high_pass(x)).astype(float)
    width = length // dsp.FRAME
    if len(flags) <= width:
        return np.zeros(1, dtype=int)
    voiced = np.convolve(flags, np.ones(width), "valid") * dsp.FRAME / dsp.RATE
    good = np.flatnonzero(voiced >= min(1.5, 0.8 * voiced.max()))
    return np.minimum(good * dsp.FRAME, len(x) - length)


def kiosk_conditions(voices: dict[str, list[np.ndarray]], seed: int,
                     repeats: int = REPEATS) -> dict[str, dict[Utterance, np.ndarray]]:
    """Every utterance under each test condition; `repeats` different cuts and noises each."""
    rng = np.random.default_rng(seed)
    utts = [(s, i) for s in voices for i in range(len(voices[s]))]
    # babble talkers: never a claimed (enrolled) speaker, or an impostor clip would carry
    # the claimed voice in its background
    pool = [(s, i) for s, i in utts if len(voices[s]) < MIN_TEMPLATE_UTTERANCES]
    length = int(CUT_SECONDS * dsp.RATE)
    out: dict[str, dict[Utterance, np.ndarray]] = {c: {} for c in TEST_CONDITIONS}
    for s, i in utts:
        x = voices[s][i]
        out["clean"][s, i, 0] = x
        offsets = _speech_windows(x, length)
        for rep in range(repeats):
            offset = int(offsets[rng.integers(len(offsets))])
            cut = x[offset:offset + length]
            out["cut"][s, i, rep] = cut
            out["white"][s, i, rep] = mix_at_snr(cut, rng.standard_normal(len(cut)), SNR_DB)
            # (a small folder may lack never-enrolled talkers: then any other speaker)
            others = [u for u in pool if u[0] != s] or [u for u in utts if u[0] != s]
            babble = np.zeros(len(cut)) if others else rng.standard_normal(len(cut))
            for k in rng.choice(len(others), min(BABBLE_TALKERS, len(others)), replace=False):
                y = voices[others[k][0]][others[k][1]]
                y = np.tile(y, len(cut) // len(y) + 1) if len(y) < len(cut) else y
                begin = int(rng.integers(0, len(y) - len(cut) + 1))
                piece = y[begin:begin + len(cut)].astype(np.float64)
                babble += piece / (np.sqrt(np.mean(piece ** 2)) + 1e-9)
            out["babble"][s, i, rep] = mix_at_snr(cut, babble, SNR_DB)
    return out


def eer(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    """(equal error rate, threshold there); accept when score >= threshold."""
    genuine, impostor = np.asarray(genuine, float), np.asarray(impostor, float)
    if not len(genuine) or not len(impostor):
        return float("nan"), float("nan")
    thresholds = np.unique(np.concatenate([genuine, impostor]))
    g, i = np.sort(genuine), np.sort(impostor)
    fnmr = np.searchsorted(g, thresholds, side="left") / len(g)
    fmr = 1.0 - np.searchsorted(i, thresholds, side="left") / len(i)
    k = int(np.argmin(np.abs(fnmr - fmr)))
    return float((fnmr[k] + fmr[k]) / 2), float(thresholds[k])


def error_rates(genuine: np.ndarray, impostor: np.ndarray, threshold: Any) -> tuple[float, float]:
    """(FNMR, FMR) at `threshold`: a number, or a (genuine, impostor) pair of per-trial arrays."""
    if isinstance(threshold, tuple):
        return (float(np.mean(np.asarray(genuine) < threshold[0])),
                float(np.mean(np.asarray(impostor) >= threshold[1])))
    return float(np.mean(np.asarray(genuine) < threshold)), float(np.mean(np.asarray(impostor) >= threshold))


def _templates(voices: dict[str, list[np.ndarray]], per_speaker: int,
               seed: int) -> list[tuple[str, tuple[int, ...]]]:
    """Seeded 3-utterance enrolment subsets of every speaker with 4+ utterances."""
    rng = np.random.default_rng(seed + 1)
    chosen = []
    for speaker, clips in voices.items():
        if len(clips) < MIN_TEMPLATE_UTTERANCES:
            continue
        subsets = list(itertools.combinations(range(len(clips)), 3))
        order = rng.permutation(len(subsets))[:per_speaker]
        chosen += [(speaker, subsets[k]) for k in sorted(order)]
    return chosen


def embed_clips(engine: VoiceEngine, clips: dict[str, dict[Utterance, np.ndarray]],
                details: dict[str, Any] | None = None
                ) -> tuple[dict[str, dict[Utterance, np.ndarray]], dict[str, dict[str, int]], list[float]]:
    """(embeddings of the usable clips {cond: {utt: vector}}, unusable counts {cond: {reason:
    n}}, milliseconds of check + embedding per noisy clip: the wait after the person stops
    speaking). `details`, when given, receives "snr" {cond: {utt: dB}} of the usable clips,
    "unusable_clips" {cond: {utt: reason}} and "checks" {cond: {utt: AudioCheck}}."""
    embeddings: dict[str, dict[Utterance, np.ndarray]] = {}
    unusable: dict[str, dict[str, int]] = {}
    verify_ms: list[float] = []
    snr: dict[str, dict[Utterance, float]] = {}
    refused: dict[str, dict[Utterance, str]] = {}
    checks: dict[str, dict[Utterance, Any]] = {}
    for cond, by_utt in clips.items():
        embeddings[cond], unusable[cond], snr[cond], refused[cond], checks[cond] = {}, {}, {}, {}, {}
        for utt, x in by_utt.items():
            start = time.perf_counter()
            check, vector = engine.probe(x, dsp.RATE)
            checks[cond][utt] = check
            if cond in ("white", "babble"):
                verify_ms.append(1000 * (time.perf_counter() - start))
            if vector is None:
                unusable[cond][check.reason] = unusable[cond].get(check.reason, 0) + 1
                refused[cond][utt] = check.reason
            else:
                embeddings[cond][utt], snr[cond][utt] = vector, check.snr_db
    if details is not None:
        details.update(snr=snr, unusable_clips=refused, checks=checks)
    return embeddings, unusable, verify_ms


def score_trials(engine: VoiceEngine, voices: dict[str, list[np.ndarray]],
                 embeddings: dict[str, dict[Utterance, np.ndarray]], seed: int = 0,
                 templates_per_speaker: int = 10, top_k: int = DEFAULT_TOP_K,
                 snr: dict[str, dict[Utterance, float]] | None = None,
                 rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Genuine/impostor "raw" and "norm" scores per condition (see the module docstring).

    With `snr` (from `embed_clips`' details) each condition also has "snr": the probe's SNR
    of every trial, for SNR-dependent thresholds. With `rows`, every trial is appended as
    {"condition", "claimed", "probe", "utterance", "raw", "norm", "snr_db"}."""
    cohort_ids = [(s, 0, 0) for s, c in voices.items() if len(c) == 1 and (s, 0, 0) in embeddings["clean"]]
    use_norm = len(cohort_ids) >= MIN_COHORT  # else no "norm" scores (a toy folder)
    cohort = normalise(np.stack([embeddings["clean"][u] for u in cohort_ids])) if use_norm \
        else np.zeros((0, 256), dtype=np.float32)
    cohort_index = {u[0]: k for k, u in enumerate(cohort_ids)}
    templates = _templates(voices, templates_per_speaker, seed)
    methods = ("raw",) + (("norm",) if use_norm else ()) + (("snr",) if snr is not None else ())
    results: dict[str, Any] = {}
    for cond, by_utt in embeddings.items():
        utts = list(by_utt)
        if not utts:
            continue
        probes = np.stack([by_utt[u] for u in utts])
        scores = {m: {"genuine": [], "impostor": []} for m in methods}
        for speaker, subset in templates:
            template = engine.template_from([embeddings["clean"][speaker, i, 0] for i in subset]).embedding
            cosines = probes @ template
            for k, utt in enumerate(utts):
                if utt[0] == speaker and utt[1] in subset:
                    continue
                kind = "genuine" if utt[0] == speaker else "impostor"
                normed = None
                if use_norm:
                    keep = np.ones(len(cohort), dtype=bool)
                    if utt[0] in cohort_index:
                        keep[cohort_index[utt[0]]] = False
                    normed = as_norm(float(cosines[k]), template, probes[k], cohort[keep], top_k)
                scores["raw"][kind].append(float(cosines[k]))
                if use_norm:
                    scores["norm"][kind].append(normed)
                if snr is not None:
                    scores["snr"][kind].append(snr[cond][utt])
                if rows is not None:
                    rows.append({"condition": cond, "claimed": speaker, "probe": utt[0], "utterance": utt,
                                 "raw": float(cosines[k]), "norm": normed,
                                 "snr_db": None if snr is None else snr[cond][utt]})
        results[cond] = {m: {k: np.asarray(v) for k, v in d.items()} for m, d in scores.items()}
    if "white" in results and "babble" in results and "raw" in results["white"]:
        results["kiosk"] = {m: {k: np.concatenate([results["white"][m][k], results["babble"][m][k]])
                                for k in ("genuine", "impostor")} for m in methods}
    return {"conditions": results, "cohort": cohort,
            "counts": {"enrolled_speakers": len({s for s, _ in templates}), "templates": len(templates),
                       "cohort": len(cohort)}}


def voice_scores(data_dir: str | Path, seed: int = 0, engine: VoiceEngine | None = None,
                 templates_per_speaker: int = 10, top_k: int = DEFAULT_TOP_K,
                 repeats: int = REPEATS) -> dict[str, Any]:
    """Genuine and impostor scores of the protocol above, per condition and scoring.

    Returns {"conditions": {cond: {"raw"|"norm"|"snr": {"genuine": array, "impostor": array}}},
    ("snr": the probe's SNR of each trial, for `VoiceEngine.threshold_for`),
    "unusable": {cond: {reason: count}}, "verify_ms": array (check + embedding of each
    2.5 s noisy clip, i.e. the wait after the person stops speaking), "counts": {...},
    "cohort": (n, 256) array}. Conditions: clean, cut, white, babble and kiosk (white +
    babble pooled). "norm" uses the folder's one-utterance speakers as the cohort.
    """
    engine = engine or VoiceEngine()
    voices = load_voices(data_dir)
    engine.warm_up().join()
    details: dict[str, Any] = {}
    embeddings, unusable, verify_ms = embed_clips(engine, kiosk_conditions(voices, seed, repeats), details)
    out = score_trials(engine, voices, embeddings, seed, templates_per_speaker, top_k, snr=details["snr"])
    out["unusable"] = unusable
    out["verify_ms"] = np.asarray(verify_ms)
    out["counts"].update(speakers=len(voices), utterances=sum(len(c) for c in voices.values()),
                         repeats=repeats)
    return out
