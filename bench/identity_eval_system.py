"""System part of bench/identity_eval.py: the kiosk's own decision on chimeric persons.

Each face identity is paired with one voice speaker of the folder (fixed seed); persons
whose face and voice can both be enrolled have genuine attempts, the others are
impostors only. An attempt is one face trial (bench/face_bench.py's 1:1 trials, the
kiosk's `FaceIndex.verify` verdict and figure) with one voice attempt (bench/
identity_eval_voice.py: the first digit string and, when the policy allows it and the
first was rejected or unusable, a second one judged fused with it), decided by
`kiosk.identity_policy.decide` exactly as the kiosk calls it, with the shipped policy:

    decide(face figure, voice score, liveness, policy, face_matched=..., voice_matched=
           VoiceResult.accepted, voice_margin=VoiceResult.margin); if the reason is
    no_speech or voice_mismatch and `wants_another_utterance`: decide again on the
    fused result of both clips.

The second digit string is part of the same attempt: rates are per attempt. Every
attempt is a live presentation, so liveness enters as its BPCER, a gate independent of
face and voice (frr = 1-(1-frr_face_voice)(1-BPCER), far = far_face_voice(1-BPCER));
attacks on liveness are liveness_apcer's business. Lip-sync is not simulated (a live
talking face passes the "still_only" mode). Attempt types: genuine (own face, own
voice), zero-effort impostor (another person's face and voice: the FAR target),
face-only impostor (another face with the claimed person's voice, e.g. a recording) and
voice-only impostor (the claimed face with another voice). Counts are products of face
and voice trials, so attempts are not independent.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any, Callable

from kiosk.identity_policy import IdentityPolicy, decide, wants_another_utterance

SEED = 20240521
EXTRA_SEEDS = (1, 2, 3, 4, 5)  # other pairings, zero-effort and genuine only (robustness)


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


def run_attempt(face_trial: dict[str, Any], voice_attempt: tuple[Any, Any],
                policy: IdentityPolicy) -> tuple[Any, bool]:
    """(Decision, whether a second digit string was asked) of one attempt, as the kiosk runs it."""
    ratio = face_trial.get("ratio", face_trial["figure"])
    tries = 0
    decision = None
    for result in voice_attempt:
        if result is None:
            break
        tries += 1
        decision = decide(face_trial["figure"], result.score if result.heard_speech else None, True, policy,
                          face_matched=face_trial["matched"], voice_matched=result.accepted,
                          voice_margin=result.margin, face_is_distance=ratio is None)
        if not wants_another_utterance(decision, tries, policy):
            break
    return decision, tries > 1


def system_figures(face_trials: list[dict[str, Any]], voice_attempts: Callable[[str, str], list],
                   voice_enrolled: set[str], speakers: list[str], policy: IdentityPolicy,
                   bpcer: float | None, seed: int = SEED, kinds: tuple[str, ...] | None = None,
                   ) -> dict[str, Any]:
    """Apply the kiosk's decision to every chimeric attempt; rates per attempt type.

    `voice_attempts(claimed speaker, probe speaker)` lists (first, fused-or-None)
    VoiceResults against every template of the claimed speaker. `kinds` limits the
    attempt types computed (all four by default)."""
    kinds = kinds or ("genuine", "zero_effort", "face_only", "voice_only")
    face_by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for t in face_trials:
        face_by[(t["claimed"], t["probe_identity"])].append(t)
    face_ids = sorted({t["probe_identity"] for t in face_trials} | {t["claimed"] for t in face_trials})
    face_claimable = {t["claimed"] for t in face_trials if t["genuine"]}
    persons = chimeric_persons(face_ids, face_claimable, speakers, voice_enrolled, seed)
    counts: dict[str, list[int]] = {k: [0, 0] for k in kinds}
    reasons: dict[str, dict[str, int]] = {k: defaultdict(int) for k in kinds}
    second = {k: 0 for k in kinds}
    cache: dict[tuple[str, str], list] = {}

    def voice(claimed: str, probe: str) -> list:
        if (claimed, probe) not in cache:
            cache[claimed, probe] = voice_attempts(claimed, probe)
        return cache[claimed, probe]

    def attempt(kind: str, faces: list[dict], voices: list) -> None:
        if kind not in counts:
            return
        for ft in faces:
            for va in voices:
                decision, asked = run_attempt(ft, va, policy)
                counts[kind][0] += 1
                counts[kind][1] += decision.accepted
                reasons[kind][decision.reason_code] += 1
                second[kind] += asked

    for claimed_face, claimed_voice, claimable in persons:
        if not claimable:
            continue
        face_genuine = face_by.get((claimed_face, claimed_face), [])
        attempt("genuine", face_genuine, voice(claimed_voice, claimed_voice))
        for other_face, other_voice, _ in persons:
            if other_face == claimed_face:
                continue
            face_impostor = face_by.get((claimed_face, other_face), [])
            if face_impostor:
                attempt("zero_effort", face_impostor, voice(claimed_voice, other_voice))
                attempt("face_only", face_impostor, voice(claimed_voice, claimed_voice))
            attempt("voice_only", face_genuine, voice(claimed_voice, other_voice))

    def rate(kind: str, accepted: bool) -> float | None:
        total, ok = counts.get(kind, (0, 0))
        if not total:
            return None
        return ok / total if accepted else 1.0 - ok / total

    gate = 0.0 if bpcer is None else float(bpcer)
    frr_fv, far_fv = rate("genuine", False), rate("zero_effort", True)
    out = {
        "seed": seed,
        "persons": len(persons),
        "persons_with_genuine_attempts": sum(1 for p in persons if p[2]),
        "frr_face_voice": frr_fv,
        "far_face_voice": far_fv,
        "frr": None if frr_fv is None else 1.0 - (1.0 - frr_fv) * (1.0 - gate),
        "far": None if far_fv is None else far_fv * (1.0 - gate),
        "liveness_gate_bpcer": bpcer,
    }
    for kind in kinds:
        name = {"genuine": "genuine", "zero_effort": "impostor"}.get(kind, f"{kind}_impostor")
        out[f"{name}_attempts"] = counts[kind][0]
        out[f"{name}_accepted"] = counts[kind][1]
        out[f"{name}_reasons"] = dict(reasons[kind])
        out[f"{name}_second_utterance"] = second[kind]
    out["far_face_only_impostor"] = rate("face_only", True)
    out["far_voice_only_impostor"] = rate("voice_only", True)
    return out
