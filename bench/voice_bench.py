"""Calibration bench of the voice check: python bench/voice_bench.py DATA_DIR [--seed N]

DATA_DIR is the shared data folder (or its voices/ subfolder). Prints a table of EER and
error rates at the kiosk's default thresholds, per test condition and scoring, then, as
the last line, one JSON object. The protocol is `kiosk.voice_eval`; `voice_scores()` here
returns the same figures with the score arrays and labelled per-trial rows, for larger
evaluations (bench/identity_eval.py). About 1-2 minutes on 2 cores.

JSON keys: voice_eer / voice_eer_kiosk (clean / white+babble pooled, one utterance, the
scoring of the shipped identity policy: the plain cosine), voice_fnmr / voice_fmr (clean)
and voice_fnmr_kiosk / voice_fmr_kiosk at the policy's SNR-dependent one-utterance
thresholds voice_threshold (clean clips) and voice_threshold_noisy; "norm": the same for
adaptive S-norm against the folder's one-utterance speakers (for comparison: the kiosk
ships no cohort file; its cohort would be the roster); voice_ms_p50 / p90: check +
embedding of a 2.5 s noisy clip (the wait after the person stops speaking); unusable:
test clips refused by the check, by reason. Two-utterance attempts and the system
figures: bench/identity_eval.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk import voice  # noqa: E402
from kiosk.identity_policy import load_policy  # noqa: E402
from kiosk import voice_eval as protocol  # noqa: E402
from kiosk.voice_eval import eer, error_rates  # noqa: E402

CONDITIONS = ("clean", "cut", "white", "babble", "kiosk")


def _rates(engine: voice.VoiceEngine, scores: dict, snr: dict) -> tuple[float | None, float | None]:
    """(FNMR, FMR) with the engine's SNR-dependent threshold applied to each trial."""
    if not len(scores["genuine"]) or not len(scores["impostor"]):
        return None, None
    per_trial = tuple(np.array([engine.threshold_for(s) for s in snr[k]]) for k in ("genuine", "impostor"))
    return error_rates(scores["genuine"], scores["impostor"], per_trial)


def _number(value: float | None) -> float | None:
    """Rounded for the JSON line; None for a missing or undefined (NaN) figure."""
    return None if value is None or value != value else round(float(value), 5)


def summarise(result: dict) -> tuple[list[str], dict]:
    """Table lines and the JSON figures of a `voice_eval` result (with "snr" per condition).

    The headline (voice_*) is the shipped policy's scoring ("raw": the cosine) when the
    folder allows it; the other scoring is reported beside it."""
    conditions = result["conditions"]
    counts = result["counts"]
    policy = load_policy()
    preferred = ("norm", "raw") if policy.voice_scoring == "snorm" else ("raw", "norm")
    methods = [m for m in preferred if m in conditions.get("clean", {})]
    engines = {"raw": voice.VoiceEngine.from_policy(policy, scoring="cosine")}
    if "norm" in methods:
        engines["norm"] = voice.VoiceEngine.from_policy(policy, scoring="snorm", cohort=result["cohort"],
                                                        min_cohort=2)
    lines = [
        f"voice bench: {counts['speakers']} speakers, {counts['utterances']} utterances; "
        f"{counts['enrolled_speakers']} enrolled speakers, {counts['templates']} templates of 3 "
        f"utterances; cohort {counts['cohort']}; {counts['repeats']} cuts per test utterance",
        "kiosk = white + babble (2.5 s, 10 dB SNR); thresholds follow the clip's SNR ("
        + ", ".join(f"{m} {e.threshold_for(0):g}..{e.threshold_for(99):g}" for m, e in engines.items())
        + f" from {voice.NOISY_SNR_DB:g} to {voice.CLEAN_SNR_DB:g} dB)",
        f"{'condition':<9} {'scoring':<7} {'genuine':>7} {'impostor':>8} {'EER %':>6} {'thr@EER':>8} "
        f"{'FNMR %':>7} {'FMR %':>7} {'SNR dB':>7}  unusable",
    ]
    unusable = dict(result["unusable"])
    unusable["kiosk"] = {k: unusable.get("white", {}).get(k, 0) + unusable.get("babble", {}).get(k, 0)
                         for k in set(unusable.get("white", {})) | set(unusable.get("babble", {}))}
    figures: dict = {}
    for cond in CONDITIONS:
        if cond not in conditions:
            continue
        snr = conditions[cond]["snr"]
        for method in methods:
            scores = conditions[cond][method]
            rate, at = eer(scores["genuine"], scores["impostor"])
            fnmr, fmr = _rates(engines[method], scores, snr)
            figures[method, cond] = {"eer": rate, "fnmr": fnmr, "fmr": fmr}
            pct = (lambda v, w, d: f"{100 * v:>{w}.{d}f}" if v is not None and v == v else f"{'-':>{w}}")
            median_snr = f"{np.median(snr['genuine']):>7.1f}" if len(snr["genuine"]) else f"{'-':>7}"
            lines.append(f"{cond:<9} {method:<7} {len(scores['genuine']):>7} {len(scores['impostor']):>8} "
                         f"{pct(rate, 6, 2)} {at:>8.3f} {pct(fnmr, 7, 2)} {pct(fmr, 7, 3)} "
                         f"{median_snr}  {unusable.get(cond) or '-'}")
    ms = result["verify_ms"]
    if len(ms):
        lines.append(f"verification after speech ends (check + embedding, 2.5 s noisy clip, "
                     f"{len(ms)} clips): p50 {np.median(ms):.0f} ms, p90 {np.percentile(ms, 90):.0f} ms")

    def block(method: str) -> dict:
        def get(cond: str, key: str) -> float | None:
            return _number(figures.get((method, cond), {}).get(key))

        out = {f"eer{'' if c == 'clean' else '_' + c}": get(c, "eer") for c in CONDITIONS}
        out.update(fnmr=get("clean", "fnmr"), fmr=get("clean", "fmr"),
                   fnmr_kiosk=get("kiosk", "fnmr"), fmr_kiosk=get("kiosk", "fmr"),
                   threshold=engines[method].threshold_for(99), threshold_noisy=engines[method].threshold_for(0))
        return out

    headline = methods[0] if methods else "raw"
    summary = {f"voice_{k}": v for k, v in block(headline).items()}
    summary.update({
        "voice_scoring": (f"adaptive s-norm, top {engines['norm'].top_k} of {counts['cohort']} cohort"
                          if headline == "norm" else "cosine (the shipped policy)"),
        "norm" if headline == "raw" else "raw": block("norm" if headline == "raw" else "raw")
        if len(methods) > 1 else None,
        "voice_ms_p50": round(float(np.median(ms)), 1) if len(ms) else None,
        "voice_ms_p90": round(float(np.percentile(ms, 90)), 1) if len(ms) else None,
        "unusable": result["unusable"],
        "trials": {c: [len(conditions[c][headline]["genuine"]), len(conditions[c][headline]["impostor"])]
                   for c in CONDITIONS if c in conditions and headline in conditions[c]},
        "counts": counts,
    })
    return lines, summary


def voice_scores(data_dir: str | Path, seed: int = 0, log: Callable[[str], None] | None = None,
                 templates_per_speaker: int = 10, repeats: int = protocol.REPEATS) -> dict:
    """The whole bench as data (for bench/identity_eval.py and the like).

    Returns the JSON figures (voice_eer, voice_eer_kiosk, voice_fnmr, ..., voice_threshold)
    plus "conditions" (genuine/impostor score arrays per condition, "raw", "norm" and the
    probes' "snr"), "kiosk_trials" (every white/babble trial: claimed and probe speaker,
    the policy's "score", the engine's own verdict "matched" at its SNR-dependent threshold;
    score and matched None for a clip the check refused), "cohort" and "table" (lines)."""
    started = time.perf_counter()
    engine = voice.VoiceEngine()
    voices = protocol.load_voices(data_dir)
    engine.warm_up().join()
    details: dict = {}
    clips = protocol.kiosk_conditions(voices, seed, repeats)
    embeddings, unusable, verify_ms = protocol.embed_clips(engine, clips, details)
    if log:
        log(f"voice: {sum(len(c) for c in clips.values())} clips embedded in "
            f"{time.perf_counter() - started:.0f} s")
    rows: list[dict] = []
    result = protocol.score_trials(engine, voices, embeddings, seed, templates_per_speaker,
                                   snr=details["snr"], rows=rows)
    result["unusable"], result["verify_ms"] = unusable, np.asarray(verify_ms)
    result["counts"].update(speakers=len(voices), utterances=sum(len(c) for c in voices.values()),
                            repeats=repeats)
    lines, summary = summarise(result)
    policy = load_policy()
    normed = policy.voice_scoring == "snorm" and len(result["cohort"]) >= 2
    judge = (voice.VoiceEngine.from_policy(policy, cohort=result["cohort"], min_cohort=2) if normed
             else voice.VoiceEngine.from_policy(policy))
    key = "norm" if normed else "raw"
    trials = [{"claimed": r["claimed"], "probe": r["probe"], "condition": r["condition"],
               "score": r[key], "cosine": r["raw"], "snr_db": r["snr_db"],
               "matched": bool(r[key] >= judge.threshold_for(r["snr_db"]))}
              for r in rows if r["condition"] in ("white", "babble")]
    templates = protocol._templates(voices, templates_per_speaker, seed)  # noqa: SLF001
    for cond in ("white", "babble"):  # refused clips: the kiosk would say why and ask again
        for utt, reason in details["unusable_clips"][cond].items():
            for speaker, subset in templates:
                if not (utt[0] == speaker and utt[1] in subset):
                    trials.append({"claimed": speaker, "probe": utt[0], "condition": cond, "score": None,
                                   "cosine": None, "snr_db": None, "matched": None, "reason": reason})
    summary.update(conditions=result["conditions"], kiosk_trials=trials, cohort=result["cohort"],
                   table=lines, seed=seed, bench_seconds=round(time.perf_counter() - started, 1))
    return summary


def main(argv: list[str] | None = None) -> int:
    """Run the protocol and print the table, then the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = voice_scores(args.data_dir, seed=args.seed)
    for line in result["table"]:
        print(line)
    bulky = ("conditions", "kiosk_trials", "cohort", "table")
    print(json.dumps({k: v for k, v in result.items() if k not in bulky}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
