"""Identity evaluation of the kiosk: `python bench/identity_eval.py DATA_DIR`.

DATA_DIR is laid out like ../shared/data: faces/<identity>/<n>.jpg (+ optional
faces/groups.csv), voices/<speaker>/<n>.{wav,flac} (labels.csv not needed),
liveness/<label>/<file>. The operating point is the kiosk's own: `load_policy()` of the
shipped kiosk/identity_policy.json (or `--policy FILE`).

Parts (each one degrades on its own: a part whose data is missing is reported as
unavailable and its keys are null; no figure is ever made up):

- face: bench/face_bench.py `face_scores` (several-image enrolment protocol, the
  kiosk's 1:1 verify decision, overall and East Asian figures, stage timings);
- voice: bench/identity_eval_voice.py (clean, and kiosk conditions: 2.5 s cuts with
  white noise or babble at 10 dB SNR, seeded; the voice engine's own verdicts at the
  policy's thresholds, per utterance and per attempt with a second digit string);
- liveness: bench/liveness_bench.py `evaluate`, run in this process;
- system: bench/identity_eval_system.py, the kiosk's `decide` on chimeric persons.

The last line printed is one JSON object; rates are fractions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.face_bench import face_scores, print_report  # noqa: E402
from bench.identity_eval_system import (  # noqa: E402,F401 - chimeric_persons: part of the API
    EXTRA_SEEDS, SEED, chimeric_persons, system_figures,
)
from kiosk.identity_policy import IdentityPolicy, load_policy, policy_as_dict  # noqa: E402

REQUIRED_KEYS = (
    "face_fnmr", "face_fmr", "face_impostor_pairs", "face_eer", "face_eer_east_asian",
    "face_fmr_east_asian", "face_fnmr_east_asian", "voice_eer", "voice_eer_kiosk", "system_far",
    "system_frr", "system_impostor_attempts", "liveness_apcer", "liveness_bpcer", "face_ms_p50",
    "voice_ms_p50",
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _timed(figures: dict[str, Any], name: str, notes: list[str], fn, *args: Any) -> Any:
    """Run one part; a failure is logged and noted, never hides the other parts."""
    started = time.perf_counter()
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - a broken part must not hide the others
        notes.append(f"{name} part failed")
        traceback.print_exc()
        return None
    finally:
        figures[f"{name}_seconds"] = round(time.perf_counter() - started, 1)


def face_part(data_dir: Path, timing_items: int) -> dict[str, Any] | None:
    """face_scores() of the folder, or None when it has no faces/."""
    if not (data_dir / "faces").is_dir():
        _log("face: no faces/ folder: face figures unavailable")
        return None
    scores = face_scores(data_dir, timing_items=timing_items, log=_log)
    print_report(scores)
    return scores


def face_figures(face: dict[str, Any], policy: IdentityPolicy) -> dict[str, Any]:
    """The face keys of the JSON line."""
    overall, ea = face["overall"], face["east_asian"] or {}
    timing = face["timing_ms"]
    point = face["operating_point"]
    return {
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
        "face_ms": dict(timing),
        "face_ms_p50": (timing.get("observe_total") or {}).get("p50"),
        "face_ms_p95": (timing.get("observe_total") or {}).get("p95"),
        "face_operating_point_matches_policy": (abs(point["verify_ratio"] - policy.face_threshold) < 1e-9
                                                and abs(point["verify_distance"]
                                                        - policy.face_verify_distance) < 1e-9),
    }


def voice_part(data_dir: Path, policy: IdentityPolicy) -> Any:
    """The embedded voice data (bench/identity_eval_voice.VoiceData), or None without voices/."""
    from bench.identity_eval_voice import VoiceData  # noqa: PLC0415 - imports torch lazily

    if not (data_dir / "voices").is_dir():
        _log("voice: UNAVAILABLE (no voices/ folder); voice and system figures are null")
        return None
    data = VoiceData(data_dir, policy, log=_log)
    if not data.voices:
        _log("voice: UNAVAILABLE (no recordings in voices/); voice and system figures are null")
        return None
    return data


def liveness_part(data_dir: Path) -> dict[str, Any] | None:
    """bench/liveness_bench.py's figures, computed in this process; None without liveness/."""
    if not (data_dir / "liveness").is_dir():
        _log("liveness: UNAVAILABLE (no liveness/ folder); liveness figures are null")
        return None
    from bench.liveness_bench import evaluate as liveness_evaluate  # noqa: PLC0415

    return liveness_evaluate(data_dir, log=_log)


def system_part(face: dict[str, Any], voice: Any, policy: IdentityPolicy,
                bpcer: float | None) -> dict[str, Any]:
    """System figures with the shipped policy at SEED, plus other pairings (robustness)."""
    speakers = sorted(voice.voices)
    persons_voice = {}

    def attempts(claimed: str, probe: str) -> list:
        # the kiosk's cohort: the other roster persons' voice templates (claimed and
        # probe person left out; used only when the policy scores with S-norm)
        cohort = [t for who, (spk, _s, t) in persons_voice.items() if spk not in (claimed, probe)]
        return voice.speaker_attempts(claimed, probe, cohort or None)

    # one roster template per enrolled speaker (its first seeded template) as the cohort pool
    for key, (speaker, subset, template) in voice.templates.items():
        persons_voice.setdefault(speaker, (speaker, subset, template))
    main = system_figures(face["trials"], attempts, voice.enrolled, speakers, policy, bpcer, SEED)
    extra = [system_figures(face["trials"], attempts, voice.enrolled, speakers, policy, bpcer, s,
                            kinds=("genuine", "zero_effort")) for s in EXTRA_SEEDS]
    main["other_seeds"] = {"seeds": list(EXTRA_SEEDS), "frr": [e["frr"] for e in extra],
                           "false_accepts": [e["impostor_accepted"] for e in extra],
                           "impostor_attempts": [e["impostor_attempts"] for e in extra]}
    return main


def evaluate(data_dir: str | Path, timing_items: int = 20, policy_path: Path | None = None) -> dict[str, Any]:
    """Run every available part; returns the JSON figures (None where not measurable)."""
    data_dir = Path(data_dir)
    policy = load_policy(policy_path)
    figures: dict[str, Any] = {key: None for key in REQUIRED_KEYS}
    figures["policy"] = policy_as_dict(policy)
    notes: list[str] = []

    face = _timed(figures, "face", notes, face_part, data_dir, timing_items)
    if face:
        figures.update(face_figures(face, policy))
        if face["east_asian"] is None:
            notes.append("East Asian face figures unavailable (no faces/groups.csv or no such pairs)")

    voice = _timed(figures, "voice", notes, voice_part, data_dir, policy)
    if voice is not None:
        started = time.perf_counter()
        figures.update(voice.figures())
        figures["voice_seconds"] = round(figures["voice_seconds"] + time.perf_counter() - started, 1)
        _log("voice: " + ", ".join(f"{k} {figures.get(k)}" for k in (
            "voice_eer", "voice_eer_kiosk", "voice_fnmr", "voice_fmr", "voice_fnmr_kiosk", "voice_fmr_kiosk",
            "voice_fnmr_kiosk_attempt", "voice_fmr_kiosk_attempt", "voice_eer_kiosk_fused", "voice_ms_p50")))
    else:
        notes.append("voice unavailable")

    liveness = _timed(figures, "liveness", notes, liveness_part, data_dir)
    if liveness is None:
        notes.append("liveness unavailable")
    else:
        figures.update({k: v for k, v in liveness.items() if k.startswith(("liveness_", "lipsync_"))})

    if face and voice is not None and voice.enrolled:
        bpcer = figures.get("liveness_bpcer")
        if isinstance(bpcer, float) and bpcer != bpcer:  # NaN: no bona fide sessions
            bpcer = None
        started = time.perf_counter()
        system = system_part(face, voice, policy, bpcer)
        figures["system_seconds"] = round(time.perf_counter() - started, 1)
        _log(f"system: {system['persons']} chimeric persons, {system['genuine_attempts']} genuine / "
             f"{system['impostor_attempts']} zero-effort impostor attempts: FRR {system['frr']} "
             f"FAR {system['far']} ({system['impostor_accepted']} accepted); face-only FAR "
             f"{system['far_face_only_impostor']}, voice-only FAR {system['far_voice_only_impostor']}; "
             f"other pairings: {system['other_seeds']}")
        figures.update({
            "system_far": system["far"], "system_frr": system["frr"],
            "system_impostor_attempts": system["impostor_attempts"],
            "system_false_accepts": system["impostor_accepted"],
            "system_genuine_attempts": system["genuine_attempts"],
            "system_genuine_reasons": system["genuine_reasons"],
            "system_second_utterance_genuine": system["genuine_second_utterance"],
            "system_persons": system["persons"],
            "system_persons_with_genuine_attempts": system["persons_with_genuine_attempts"],
            "system_far_face_only_impostor": system["far_face_only_impostor"],
            "system_face_only_impostor_attempts": system["face_only_impostor_attempts"],
            "system_far_voice_only_impostor": system["far_voice_only_impostor"],
            "system_voice_only_impostor_attempts": system["voice_only_impostor_attempts"],
            "system_liveness_gate_bpcer": bpcer,
            "system_other_seeds": system["other_seeds"],
        })
    else:
        missing = "face" if not face else "voice" if voice is None else "enrollable speakers"
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
    parser.add_argument("--policy", type=Path, default=None, help="policy file (default: the shipped one)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = evaluate(args.data_dir, timing_items=args.timing_items, policy_path=args.policy)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    sys.stdout.flush()
    print(json.dumps(_clean(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
