"""Identity evaluation of the kiosk: `python bench/identity_eval.py DATA_DIR`.

DATA_DIR is laid out like ../shared/data: faces/<identity>/<n>.jpg (+ optional
faces/groups.csv), voices/<speaker>/<n>.{wav,flac}, liveness/<label>/<file>.

Parts (each one degrades on its own: a part whose module or data is missing is
reported as unavailable and its keys are null; no figure is ever made up):

- face: bench/face_bench.py `face_scores` (several-image enrolment protocol, the
  kiosk's 1:1 verify decision, overall and East Asian figures, stage timings);
- voice: bench/voice_bench.py's `voice_scores`/`evaluate` when it returns `voice_*`
  figures, else the voice module's own protocol in kiosk/voice_eval.py (clean, and
  kiosk conditions: 2.5 s cuts with white noise or babble at 10 dB SNR, seeded), at
  the voice engine's own score and threshold; per-trial rows feed the system figures;
- liveness: bench/liveness_bench.py `evaluate`, when that module exists;
- system: the kiosk's own decision rule, `kiosk.identity_policy.decide`, applied to
  chimeric persons (each face identity paired with one voice speaker of the folder,
  fixed seed). Genuine attempts: the person's face probe and voice probe against
  their own templates; zero-effort impostor attempts: another chimeric person's face
  and voice; face-only impostors: another person's face with the claimed person's
  voice; voice-only impostors: the claimed person's face with another's voice.
  Liveness enters as a gate: every attempt here is a bona fide (live) presentation,
  so the gate's only effect is to refuse a share BPCER of them, independently of
  face and voice (system_frr = 1-(1-frr_face_voice)(1-BPCER), system_far =
  far_face_voice * (1-BPCER)). Presentation attacks are liveness_apcer's business.
  Face trials are the 1:1 trials of face_scores; voice trials are the kiosk-condition
  ones. Every face trial of a person is crossed with every voice trial of their
  speaker, so attempt counts are products (and attempts are not independent).

The decision rule lives in kiosk/identity_policy.py (`IdentityPolicy`, `decide`).

The last line printed is one JSON object; rates are fractions.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import random
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.face_bench import face_scores, print_report  # noqa: E402
from kiosk.identity_policy import IdentityPolicy, decide  # noqa: E402

SEED = 20240521
REQUIRED_KEYS = (
    "face_fnmr", "face_fmr", "face_impostor_pairs", "face_eer", "face_eer_east_asian",
    "face_fmr_east_asian", "face_fnmr_east_asian", "voice_eer", "voice_eer_kiosk", "system_far",
    "system_frr", "system_impostor_attempts", "liveness_apcer", "liveness_bpcer", "face_ms_p50",
    "voice_ms_p50",
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _call(fn: Callable[..., Any], data_dir: Path, **kwargs: Any) -> Any:
    """Call a bench function with only the keyword arguments it accepts."""
    try:
        accepted = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepted = {}
    return fn(data_dir, **{k: v for k, v in kwargs.items() if k in accepted})


# ----------------------------------------------------------------------------- parts


def face_part(data_dir: Path, timing_items: int) -> dict[str, Any] | None:
    """face_scores() of the folder, or None when it has no faces/."""
    if not (data_dir / "faces").is_dir():
        _log("face: no faces/ folder: face figures unavailable")
        return None
    scores = face_scores(data_dir, timing_items=timing_items, log=_log)
    print_report(scores)
    return scores


def voice_part(data_dir: Path) -> tuple[dict[str, Any] | None, str]:
    """The voice figures and labelled trials, or (None, why) when no voice module is there.

    Prefers bench/voice_bench.py's `voice_scores`/`evaluate` when it exists and returns
    `voice_*` figures; otherwise runs kiosk/voice_eval.py's `voice_scores` (the voice
    module's own protocol) and derives the figures and per-trial rows from it."""
    if not (data_dir / "voices").is_dir():
        return None, "no voices/ folder"
    try:
        module = importlib.import_module("bench.voice_bench")
    except ImportError:
        module = None
    fn = module and (getattr(module, "voice_scores", None) or getattr(module, "evaluate", None))
    if fn is not None:
        result = _call(fn, data_dir, log=_log)
        if isinstance(result, dict) and any(k.startswith("voice_eer") for k in result):
            return result, ""
    try:
        importlib.import_module("kiosk.voice_eval")
    except ImportError as exc:
        return None, f"neither bench.voice_bench nor kiosk.voice_eval is importable ({exc})"
    return voice_from_voice_eval(data_dir), ""


def voice_from_voice_eval(data_dir: Path, seed: int = 0, templates_per_speaker: int = 10) -> dict[str, Any]:
    """Voice figures (clean and kiosk conditions) and labelled kiosk-condition trials from
    kiosk.voice_eval's protocol; the score and threshold are the voice engine's own
    (S-norm against the folder's one-utterance speakers when there are any, else the
    plain cosine).

    Uses voice_eval's building blocks (load_voices, kiosk_conditions, embed_clips,
    score_trials) so every clip is embedded once; the "cut" condition (no noise) is not
    needed here and is skipped. Falls back to `voice_scores` (figures only, no system
    figures) when those blocks are not there."""
    import numpy as np  # noqa: PLC0415

    ve = importlib.import_module("kiosk.voice_eval")
    voice = importlib.import_module("kiosk.voice")
    engine = voice.VoiceEngine()
    started = time.perf_counter()
    blocks = all(hasattr(ve, name) for name in ("load_voices", "kiosk_conditions", "embed_clips",
                                                "score_trials"))
    embeddings = clips = voices = None
    if blocks:
        voices = ve.load_voices(data_dir)
        engine.warm_up().join()
        clips = {cond: by_utt for cond, by_utt in ve.kiosk_conditions(voices, seed).items()
                 if cond in ("clean", "white", "babble")}
        embeddings, unusable, verify_ms = ve.embed_clips(engine, clips)
        scores = _call(lambda _d, **kw: ve.score_trials(engine, voices, embeddings, **kw), data_dir,
                       seed=seed, templates_per_speaker=templates_per_speaker)
        scores.update(unusable=unusable, verify_ms=np.asarray(verify_ms))
        scores.setdefault("counts", {}).update(speakers=len(voices),
                                                utterances=sum(len(c) for c in voices.values()))
    else:
        scores = _call(ve.voice_scores, data_dir, seed=seed, engine=engine,
                       templates_per_speaker=templates_per_speaker)
    cohort = scores.get("cohort")
    use_norm = cohort is not None and len(cohort) >= 2
    method = "norm" if use_norm else "raw"
    threshold = float(voice.DEFAULT_NORM_THRESHOLD if use_norm else voice.DEFAULT_THRESHOLD)
    conditions = scores["conditions"]
    figures: dict[str, Any] = {"voice_score": "adaptive S-norm" if use_norm else "cosine",
                               "voice_threshold": threshold}
    for cond, suffix in (("clean", ""), ("kiosk", "_kiosk"), ("white", "_white"), ("babble", "_babble")):
        if cond not in conditions:
            continue
        g, i = conditions[cond][method]["genuine"], conditions[cond][method]["impostor"]
        eer, _at = ve.eer(g, i)
        fnmr, fmr = ve.error_rates(g, i, threshold) if len(g) and len(i) else (None, None)
        figures[f"voice_eer{suffix}"] = eer
        figures[f"voice_fnmr{suffix}"] = fnmr
        figures[f"voice_fmr{suffix}"] = fmr
        figures[f"voice_genuine_trials{suffix}"] = int(len(g))
        figures[f"voice_impostor_trials{suffix}"] = int(len(i))
    figures["voice_unusable"] = scores.get("unusable")
    ms = np.asarray(scores.get("verify_ms", []), dtype=float)
    figures["voice_ms_p50"] = float(np.percentile(ms, 50)) if len(ms) else None
    figures["voice_ms_p95"] = float(np.percentile(ms, 95)) if len(ms) else None
    figures["voice_counts"] = scores.get("counts")
    _log(f"voice ({figures['voice_score']}, threshold {threshold}): EER clean {figures.get('voice_eer')}, "
         f"kiosk {figures.get('voice_eer_kiosk')}; at threshold clean FNMR {figures.get('voice_fnmr')} "
         f"FMR {figures.get('voice_fmr')}, kiosk FNMR {figures.get('voice_fnmr_kiosk')} "
         f"FMR {figures.get('voice_fmr_kiosk')}; unusable {figures['voice_unusable']}; "
         f"ms p50 {figures['voice_ms_p50']}")
    if embeddings is not None:
        try:
            figures["kiosk_trials"] = _labelled_voice_trials(
                ve, voice, engine, voices, clips, embeddings, cohort if use_norm else None,
                threshold, seed, templates_per_speaker)
        except Exception:  # the voice protocol changed shape: figures stay, system goes null
            _log("voice: could not label the kiosk trials; system figures will be null")
            traceback.print_exc()
    figures["voice_seconds_inner"] = round(time.perf_counter() - started, 1)
    return figures


def _labelled_voice_trials(ve: Any, voice: Any, engine: Any, voices: dict, clips: dict, embeddings: dict,
                           cohort: Any, threshold: float, seed: int, per_speaker: int) -> list[dict[str, Any]]:
    """voice_eval.score_trials' kiosk-condition loop (white and babble), keeping who
    claimed and who spoke. A clip that failed the audio check is a trial without a score
    (the kiosk says no_speech)."""
    import numpy as np  # noqa: PLC0415

    clean = embeddings["clean"]
    cohort_speakers = [u[0] for u in clean if len(voices[u[0]]) == 1 and u[1] == 0
                       and all(x == 0 for x in u[2:])]
    top_k = getattr(voice, "DEFAULT_TOP_K", 20)
    rows: list[dict[str, Any]] = []
    for speaker, subset in ve._templates(voices, per_speaker, seed):  # noqa: SLF001
        keys = [next(u for u in clean if u[0] == speaker and u[1] == i) for i in subset]
        template = engine.template_from([clean[k] for k in keys]).embedding
        for cond in ("white", "babble"):
            for utt in clips[cond]:
                if utt[0] == speaker and utt[1] in subset:
                    continue
                vector = embeddings[cond].get(utt)
                score = None
                if vector is not None:
                    cosine = float(template @ vector)
                    score = cosine
                    if cohort is not None:
                        keep = np.array([s != utt[0] for s in cohort_speakers], dtype=bool)
                        score = float(voice.as_norm(cosine, template, vector, cohort[keep], top_k))
                rows.append({"claimed": speaker, "probe": utt[0], "score": score,
                             "matched": None if score is None else score >= threshold})
    return rows


def liveness_part(data_dir: Path) -> tuple[dict[str, Any] | None, str]:
    """The liveness bench's figures, or (None, why)."""
    if not (data_dir / "liveness").is_dir():
        return None, "no liveness/ folder"
    try:
        module = importlib.import_module("bench.liveness_bench")
    except ImportError as exc:
        return None, f"bench.liveness_bench not importable ({exc})"
    fn = getattr(module, "liveness_scores", None) or getattr(module, "evaluate", None)
    if fn is None:
        return None, "bench.liveness_bench has no evaluate()"
    return _call(fn, data_dir, log=_log), ""


def voice_threshold(voice: dict[str, Any] | None) -> float | None:
    """The voice operating point: the bench's own figure, else kiosk.voice's constant."""
    if voice:
        for key in ("voice_threshold", "threshold"):
            if isinstance(voice.get(key), (int, float)):
                return float(voice[key])
    try:
        module = importlib.import_module("kiosk.voice")
    except ImportError:
        return None
    for name in ("DEFAULT_THRESHOLD", "VOICE_THRESHOLD", "THRESHOLD", "DEFAULT_VERIFY_THRESHOLD"):
        if isinstance(getattr(module, name, None), (int, float)):
            return float(getattr(module, name))
    return None


def voice_trials(voice: dict[str, Any] | None) -> tuple[list[dict[str, Any]], str]:
    """Per-trial voice scores as [{claimed, probe, score}], kiosk conditions preferred."""
    if not voice:
        return [], "none"
    for key, condition in (("kiosk_trials", "kiosk"), ("trials_kiosk", "kiosk"), ("trials", "clean"),
                           ("clean_trials", "clean"), ("trials_clean", "clean")):
        rows = voice.get(key)
        if not rows:
            continue
        out = []
        for row in rows:
            claimed = next((row[k] for k in ("claimed", "enrolled", "enrolled_speaker", "target",
                                             "speaker_a") if k in row), None)
            probe = next((row[k] for k in ("probe", "probe_speaker", "test_speaker", "speaker_b")
                          if k in row), None)
            score = next((row[k] for k in ("score", "cosine", "similarity") if k in row), None)
            matched = next((row[k] for k in ("matched", "accepted", "accept") if k in row), None)
            if claimed is None or probe is None:
                continue
            out.append({"claimed": str(claimed), "probe": str(probe),
                        "score": None if score is None else float(score),
                        "matched": None if matched is None else bool(matched)})
        if out:
            return out, condition
    return [], "none"


# ----------------------------------------------------------------------------- system


def chimeric_persons(face_identities: list[str], face_enrolled: set[str], speakers: list[str],
                     voice_enrolled: set[str], seed: int = SEED) -> list[tuple[str, str, bool]]:
    """(face identity, speaker, can_be_claimed) pairs, each identity and speaker used once.

    Identities and speakers that can be enrolled and probed are paired first (these
    persons have genuine attempts); the rest are paired among themselves and serve
    as impostors only. Order is shuffled with a fixed seed."""
    rng = random.Random(seed)
    faces_full = sorted(face_enrolled)
    faces_rest = sorted(set(face_identities) - face_enrolled)
    voices_full = sorted(voice_enrolled)
    voices_rest = sorted(set(speakers) - voice_enrolled)
    for group in (faces_full, faces_rest, voices_full, voices_rest):
        rng.shuffle(group)
    persons = []
    n = min(len(faces_full), len(voices_full))
    persons.extend((faces_full[i], voices_full[i], True) for i in range(n))
    faces_left = faces_full[n:] + faces_rest
    voices_left = voices_full[n:] + voices_rest
    persons.extend((f, v, False) for f, v in zip(faces_left, voices_left))
    return persons


def system_figures(face: dict[str, Any], voice_rows: list[dict[str, Any]], policy: IdentityPolicy,
                   bpcer: float | None, seed: int = SEED) -> dict[str, Any]:
    """Apply `decide` to every chimeric attempt; rates per attempt type."""
    face_trials = face["trials"]
    face_by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for t in face_trials:
        face_by[(t["claimed"], t["probe_identity"])].append(t)
    voice_by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in voice_rows:
        voice_by[(row["claimed"], row["probe"])].append(row)
    face_ids = sorted({t["probe_identity"] for t in face_trials} | {t["claimed"] for t in face_trials})
    face_claimable = {t["claimed"] for t in face_trials if t["genuine"]}
    speakers = sorted({r["probe"] for r in voice_rows} | {r["claimed"] for r in voice_rows})
    voice_claimable = {r["claimed"] for r in voice_rows if r["claimed"] == r["probe"]}
    persons = chimeric_persons(face_ids, face_claimable, speakers, voice_claimable, seed)

    counts: dict[str, list[int]] = {k: [0, 0] for k in ("genuine", "zero_effort", "face_only", "voice_only")}
    reasons: dict[str, dict[str, int]] = {k: defaultdict(int) for k in counts}

    def attempt(kind: str, face_trial: dict, voice_trial: dict[str, Any]) -> None:
        # every attempt is a live presentation: the liveness gate is applied as a rate below
        decision = decide(face_trial["figure"], voice_trial["score"], True, policy,
                          face_matched=face_trial["matched"], voice_matched=voice_trial.get("matched"))
        counts[kind][0] += 1
        counts[kind][1] += decision.accepted
        reasons[kind][decision.reason_code] += 1

    for claimed_face, claimed_voice, claimable in persons:
        if not claimable:
            continue
        face_genuine = face_by.get((claimed_face, claimed_face), [])
        voice_genuine = voice_by.get((claimed_voice, claimed_voice), [])
        for ft in face_genuine:
            for vs in voice_genuine:
                attempt("genuine", ft, vs)
        for other_face, other_voice, _ in persons:
            if other_face == claimed_face:
                continue
            face_impostor = face_by.get((claimed_face, other_face), [])
            voice_impostor = voice_by.get((claimed_voice, other_voice), [])
            for ft in face_impostor:
                for vs in voice_impostor:
                    attempt("zero_effort", ft, vs)
                for vs in voice_genuine:
                    attempt("face_only", ft, vs)
            for ft in face_genuine:
                for vs in voice_impostor:
                    attempt("voice_only", ft, vs)

    def rate(kind: str, accepted: bool) -> float | None:
        total, ok = counts[kind]
        if not total:
            return None
        return ok / total if accepted else 1.0 - ok / total

    gate = 0.0 if bpcer is None else float(bpcer)
    frr_fv = rate("genuine", False)
    far_fv = rate("zero_effort", True)
    return {
        "persons": len(persons),
        "persons_with_genuine_attempts": sum(1 for p in persons if p[2]),
        "genuine_attempts": counts["genuine"][0],
        "impostor_attempts": counts["zero_effort"][0],
        "face_only_impostor_attempts": counts["face_only"][0],
        "voice_only_impostor_attempts": counts["voice_only"][0],
        "frr_face_voice": frr_fv,
        "far_face_voice": far_fv,
        "frr": None if frr_fv is None else 1.0 - (1.0 - frr_fv) * (1.0 - gate),
        "far": None if far_fv is None else far_fv * (1.0 - gate),
        "far_face_only_impostor": rate("face_only", True),
        "far_voice_only_impostor": rate("voice_only", True),
        "liveness_gate_bpcer": bpcer,
        "genuine_reasons": dict(reasons["genuine"]),
        "policy": policy.__dict__,
    }


# ----------------------------------------------------------------------------- main


def evaluate(data_dir: str | Path, timing_items: int = 20) -> dict[str, Any]:
    """Run every available part; returns the JSON figures (None where not measurable)."""
    data_dir = Path(data_dir)
    figures: dict[str, Any] = {key: None for key in REQUIRED_KEYS}
    notes: list[str] = []

    face = None
    started = time.perf_counter()
    try:
        face = face_part(data_dir, timing_items)
    except Exception:  # a broken part must not hide the others
        notes.append("face part failed")
        traceback.print_exc()
    figures["face_seconds"] = round(time.perf_counter() - started, 1)
    if face:
        overall, ea = face["overall"], face["east_asian"] or {}
        figures.update({
            "face_fnmr": overall["fnmr"], "face_fmr": overall["fmr"],
            "face_genuine_pairs": overall["genuine_pairs"],
            "face_impostor_pairs": overall["impostor_pairs"], "face_eer": overall["eer"],
            "face_fnmr_at_fmr0": overall["fnmr_at_fmr0"],
            "face_eer_east_asian": ea.get("eer"), "face_fmr_east_asian": ea.get("fmr"),
            "face_fnmr_east_asian": ea.get("fnmr"),
            "face_fnmr_at_fmr0_east_asian": ea.get("fnmr_at_fmr0"),
            "face_impostor_pairs_east_asian": ea.get("impostor_pairs"),
            "face_unusable": face["unusable"], "face_decision_figure": face["mode"],
            "face_identify_found": face["identification"]["found"],
            "face_identify_probes": face["identification"]["genuine_probes"],
            "face_identify_unenrolled_identified": face["identification"]["unenrolled_identified"],
            "face_ms": {k: v for k, v in face["timing_ms"].items()},
            "face_ms_p50": (face["timing_ms"].get("observe_total") or {}).get("p50"),
            "face_ms_p95": (face["timing_ms"].get("observe_total") or {}).get("p95"),
        })
        if face["east_asian"] is None:
            notes.append("East Asian face figures unavailable (no faces/groups.csv or no such pairs)")

    voice, why = None, ""
    started = time.perf_counter()
    try:
        voice, why = voice_part(data_dir)
    except Exception:
        why = "voice part failed"
        traceback.print_exc()
    figures["voice_seconds"] = round(time.perf_counter() - started, 1)
    if voice is None:
        _log(f"voice: UNAVAILABLE ({why}); voice and system figures are null")
        notes.append(f"voice unavailable: {why}")
    else:
        for key, value in voice.items():
            if key.startswith("voice_") and not isinstance(value, list):
                figures[key] = value

    liveness, why_l = None, ""
    started = time.perf_counter()
    try:
        liveness, why_l = liveness_part(data_dir)
    except Exception:
        why_l = "liveness part failed"
        traceback.print_exc()
    figures["liveness_seconds"] = round(time.perf_counter() - started, 1)
    if liveness is None:
        _log(f"liveness: UNAVAILABLE ({why_l}); liveness figures are null")
        notes.append(f"liveness unavailable: {why_l}")
    else:
        for key, value in liveness.items():
            if key.startswith("liveness_"):
                figures[key] = value

    threshold = voice_threshold(voice)
    rows, condition = voice_trials(voice)
    if face and rows and threshold is not None:
        bpcer = figures.get("liveness_bpcer") if liveness is not None else None
        if isinstance(bpcer, float) and bpcer != bpcer:  # NaN: no bona fide sessions
            bpcer = None
        policy = IdentityPolicy(face_threshold=face["operating_point"]["verify_ratio"],
                                voice_threshold=threshold, require_voice=True,
                                require_liveness=bpcer is not None)
        system = system_figures(face, rows, policy, bpcer)
        _log(f"system ({condition} voice trials): {system['persons']} chimeric persons, "
             f"{system['genuine_attempts']} genuine / {system['impostor_attempts']} impostor attempts: "
             f"FRR {system['frr']} FAR {system['far']}; face-only impostors FAR "
             f"{system['far_face_only_impostor']}, voice-only FAR {system['far_voice_only_impostor']}")
        figures.update({
            "system_far": system["far"], "system_frr": system["frr"],
            "system_impostor_attempts": system["impostor_attempts"],
            "system_genuine_attempts": system["genuine_attempts"],
            "system_persons": system["persons"],
            "system_far_face_only_impostor": system["far_face_only_impostor"],
            "system_face_only_impostor_attempts": system["face_only_impostor_attempts"],
            "system_far_voice_only_impostor": system["far_voice_only_impostor"],
            "system_voice_only_impostor_attempts": system["voice_only_impostor_attempts"],
            "system_voice_condition": condition,
            "system_liveness_gate": bpcer is not None,
        })
    else:
        missing = "face" if not face else "voice trials" if not rows else "voice threshold"
        _log(f"system: UNAVAILABLE ({missing} missing); system figures are null")
        notes.append(f"system unavailable: {missing} missing")
    figures["notes"] = notes
    return figures


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def main(argv: list[str] | None = None) -> int:
    """CLI: reports on stderr/stdout, then the JSON figures as the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--timing-items", type=int, default=20)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = evaluate(args.data_dir, timing_items=args.timing_items)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    sys.stdout.flush()
    print(json.dumps(_clean(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
