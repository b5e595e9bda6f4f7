"""The face matching protocol of bench/face_bench.py: trials, error rates, cross-validation.

Split out of face_bench.py (which loads, encodes, times and reports); the protocol is
described there. Everything here works on encodings already computed, so it is quick.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

import numpy as np

from kiosk.face import FaceIndex

LEGACY_THRESHOLD = 0.30  # the 1:1/1:N distance threshold before the cohort ratio


# ----------------------------------------------------------------------------- rates


def error_rates(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float | None, float | None]:
    """(FNMR, FMR) when a figure <= threshold is accepted (lower is better)."""
    fnmr = float(np.mean(genuine > threshold)) if len(genuine) else None
    fmr = float(np.mean(impostor <= threshold)) if len(impostor) else None
    return fnmr, fmr


def equal_error(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float | None, float | None]:
    """(EER, threshold at the EER) for lower-is-better figures; mean of FNMR and FMR where
    they are closest."""
    if not len(genuine) or not len(impostor):
        return None, None
    g, im = np.sort(genuine), np.sort(impostor)
    candidates = np.unique(np.concatenate([g, im]))
    fnmr = 1.0 - np.searchsorted(g, candidates, side="right") / len(g)
    fmr = np.searchsorted(im, candidates, side="right") / len(im)
    best = int(np.argmin(np.abs(fnmr - fmr)))
    return float((fnmr[best] + fmr[best]) / 2.0), float(candidates[best])


def fnmr_at_zero_fmr(genuine: np.ndarray, impostor: np.ndarray) -> float | None:
    """FNMR at the strictest point with no false match (accept only below every impostor)."""
    if not len(genuine) or not len(impostor):
        return None
    return float(np.mean(genuine >= impostor.min()))


# ----------------------------------------------------------------------------- protocol


def _windows(by_identity: dict[str, list[int]], enrol_images: int, rotation: int) -> dict[str, list[int]]:
    """Enrolment item indices of every enrollable identity for one rotation."""
    roster = {}
    for identity, idx in by_identity.items():
        n = len(idx)
        if n < 2:
            continue
        start = rotation if rotation < n else 0
        take = min(enrol_images, n - 1)
        roster[identity] = [idx[(start + j) % n] for j in range(take)]
    return roster


def run_trials(items, encodings, enrol_images: int, cohort_k: int,
               probe_view: str = "plain") -> tuple[list[dict], dict, FaceIndex | None]:
    """All genuine and impostor 1:1 trials, the 1:N figures and the index of rotation 0."""
    by_identity: dict[str, list[int]] = defaultdict(list)
    for i, (identity, _path) in enumerate(items):
        if encodings.get(i) is not None:
            by_identity[identity].append(i)
    trials: list[dict] = []
    identification = {"genuine_probes": 0, "found": 0, "wrong": 0, "unenrolled_probes": 0,
                      "unenrolled_identified": 0, "baseline_found": 0, "baseline_unenrolled_identified": 0}
    rotations = max((len(v) for v in by_identity.values()), default=0)
    first_index = None
    for rotation in range(rotations):
        roster = _windows(by_identity, enrol_images, rotation)
        if not roster:
            break
        index = FaceIndex({who: [encodings[i]["flip"] for i in idx] for who, idx in roster.items()},
                          cohort_k=cohort_k)
        baseline = FaceIndex({who: [encodings[i]["plain"] for i in idx] for who, idx in roster.items()},
                             cohort_k=0)
        claimable = [who for who in roster if rotation < len(by_identity[who])]
        for probe_identity, idx in by_identity.items():
            if rotation > 0 and probe_identity not in claimable:
                continue
            for item in idx:
                own_enrolment = probe_identity in roster and item in roster[probe_identity]
                if own_enrolment and rotation > 0:
                    continue
                probe = [encodings[item][probe_view]]
                fused = index.distances(probe)
                raw = baseline.distances([encodings[item]["plain"]])
                own = index._position.get(probe_identity)
                claims = claimable if rotation == 0 else [probe_identity]
                for claimed in claims:
                    if own_enrolment and claimed == probe_identity:
                        continue  # an enrolment image is never its own genuine probe
                    position = index._position[claimed]
                    exclude = [own] if own is not None and own != position else []
                    ratio, cohort = index.cohort_ratio(fused, position, exclude)
                    distance = float(fused[position])
                    if ratio is None:
                        figure, matched = distance, distance <= index.verify_distance
                    else:
                        figure, matched = ratio, ratio <= index.verify_ratio
                    trials.append({
                        "claimed": claimed, "probe_identity": probe_identity, "item": item,
                        "rotation": rotation, "genuine": claimed == probe_identity,
                        "figure": figure, "distance": distance, "ratio": ratio,
                        "cohort": cohort, "matched": matched,
                        "baseline_distance": float(raw[baseline._position[claimed]]),
                    })
        if rotation == 0:
            first_index = index
            baseline_1n = FaceIndex({w: [encodings[i]["plain"] for i in idx] for w, idx in roster.items()},
                                    threshold=LEGACY_THRESHOLD, margin=0.05, cohort_k=0)
        if rotation == 0:  # 1:N as proposed at the kiosk: enrolled people and unenrolled ones
            for probe_identity, idx in by_identity.items():
                for item in idx:
                    probe = [encodings[item][probe_view]]
                    if probe_identity in roster and item not in roster[probe_identity]:
                        result = index.identify(probe)
                        legacy = baseline_1n.identify([encodings[item]["plain"]])
                        identification["baseline_found"] += legacy.person_id == probe_identity
                        identification["genuine_probes"] += 1
                        identification["found"] += result.person_id == probe_identity
                        identification["wrong"] += result.person_id not in (None, probe_identity)
                    # the same person left out of the roster must not be identified
                    others = {w: [encodings[i]["flip"] for i in roster[w]] for w in roster
                              if w != probe_identity}
                    if not others:
                        continue
                    if "_left_out" not in identification:
                        identification["_left_out"] = {}
                    cache = identification["_left_out"]
                    if probe_identity not in cache:
                        cache[probe_identity] = (
                            FaceIndex(others, cohort_k=cohort_k),
                            FaceIndex({w: [encodings[i]["plain"] for i in roster[w]] for w in others},
                                      threshold=LEGACY_THRESHOLD, margin=0.05, cohort_k=0))
                    identification["baseline_unenrolled_identified"] += (
                        cache[probe_identity][1].identify([encodings[item]["plain"]]).person_id is not None)
                    identification["unenrolled_probes"] += 1
                    left_out = cache[probe_identity][0].identify(probe)
                    identification["unenrolled_identified"] += left_out.person_id is not None
                    if left_out.ratio is not None:
                        identification["unenrolled_min_ratio"] = min(
                            identification.get("unenrolled_min_ratio", 9.9), round(left_out.ratio, 4))
            identification.pop("_left_out", None)
    return trials, identification, first_index


def summarise(trials: list[dict], select: Callable[[dict], bool] | None = None,
              threshold_note: float | None = None) -> dict[str, Any]:
    """Rates of a subset of trials at the configured point, EER, FNMR at FMR=0, baseline."""
    chosen = [t for t in trials if select is None or select(t)]
    genuine = [t for t in chosen if t["genuine"]]
    impostor = [t for t in chosen if not t["genuine"]]
    g = np.array([t["figure"] for t in genuine])
    im = np.array([t["figure"] for t in impostor])
    eer, eer_threshold = equal_error(g, im)
    bg = np.array([t["baseline_distance"] for t in genuine])
    bi = np.array([t["baseline_distance"] for t in impostor])
    b_eer, b_thr = equal_error(bg, bi)
    b_fnmr, b_fmr = error_rates(bg, bi, LEGACY_THRESHOLD)
    return {
        "fnmr": float(np.mean([not t["matched"] for t in genuine])) if genuine else None,
        "fmr": float(np.mean([t["matched"] for t in impostor])) if impostor else None,
        "false_matches": int(sum(t["matched"] for t in impostor)),
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "eer": eer,
        "eer_threshold": eer_threshold,
        "fnmr_at_fmr0": fnmr_at_zero_fmr(g, im),
        "baseline": {"eer": b_eer, "eer_threshold": b_thr, "fnmr_at_fmr0": fnmr_at_zero_fmr(bg, bi),
                     "fnmr_at_0.30": b_fnmr, "fmr_at_0.30": b_fmr},
    }


def cross_validate(trials: list[dict], identities: list[str], groups: dict[str, str] | None,
                   folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Leave-identity-out check of the threshold rule "EER point of the (East Asian, when
    known) trials": pick it on trials whose claimed and probe identities are both outside
    the fold, apply it to the trials whose claimed identity is in the fold."""
    rng = np.random.default_rng(seed)
    strata: dict[str, list[str]] = defaultdict(list)
    for who in sorted(identities):
        strata[(groups or {}).get(who, "unknown")].append(who)
    fold_of: dict[str, int] = {}
    offset = 0
    for members in strata.values():
        order = rng.permutation(len(members))
        for rank, pos in enumerate(order):
            fold_of[members[pos]] = (offset + rank) % folds
        offset += len(members)

    def is_ea(t: dict) -> bool:
        return bool(groups) and groups.get(t["claimed"]) == "east_asian" and \
            groups.get(t["probe_identity"]) == "east_asian"

    pooled = {"all": {"g": [], "i": []}, "east_asian": {"g": [], "i": []}}
    thresholds = []
    for fold in range(folds):
        train = [t for t in trials if fold_of.get(t["claimed"]) != fold
                 and fold_of.get(t["probe_identity"]) != fold]
        test = [t for t in trials if fold_of.get(t["claimed"]) == fold]
        basis = [t for t in train if is_ea(t)] if groups else train
        g = np.array([t["figure"] for t in basis if t["genuine"]])
        im = np.array([t["figure"] for t in basis if not t["genuine"]])
        _eer, threshold = equal_error(g, im)
        if threshold is None:
            continue
        thresholds.append(threshold)
        for t in test:
            accepted = t["figure"] <= threshold
            for key in ("all", "east_asian"):
                if key == "east_asian" and not is_ea(t):
                    continue
                pooled[key]["g" if t["genuine"] else "i"].append(accepted)
    out: dict[str, Any] = {"folds": folds, "rule": "EER threshold of the training folds' "
                           + ("East Asian" if groups else "all") + " trials",
                           "thresholds": [round(x, 4) for x in thresholds]}
    for key, data in pooled.items():
        if not data["g"] or not data["i"]:
            out[key] = None
            continue
        out[key] = {"fnmr": 1.0 - float(np.mean(data["g"])), "fmr": float(np.mean(data["i"])),
                    "genuine_pairs": len(data["g"]), "impostor_pairs": len(data["i"])}
    return out
