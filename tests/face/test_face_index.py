"""FaceIndex decision rules on synthetic vectors: threshold, margin, fusion, vectorised search."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.face import DEFAULT_MARGIN, DEFAULT_THRESHOLD, FaceIndex


def unit(seed: int) -> np.ndarray:
    """A random 128-d vector of dlib-like scale."""
    v = np.random.default_rng(seed).normal(size=128)
    return v / np.linalg.norm(v)


def near(base: np.ndarray, distance: float, seed: int) -> np.ndarray:
    """A vector exactly `distance` away from `base`."""
    step = np.random.default_rng(seed).normal(size=128)
    return base + distance * step / np.linalg.norm(step)


def test_defaults_are_the_calibrated_values():
    index = FaceIndex({})
    assert (index.threshold, index.margin) == (DEFAULT_THRESHOLD, DEFAULT_MARGIN)


def test_empty_roster():
    result = FaceIndex({}).identify([unit(1)])
    assert result.reason == "empty_roster" and result.person_id is None and not result.matched


def test_match_no_match_and_ambiguous():
    a, b = unit(1), unit(2)
    index = FaceIndex({"a": [a], "b": [b]}, threshold=0.3, margin=0.05)
    matched = index.identify([near(a, 0.2, 3)])
    assert matched.reason == "matched" and matched.person_id == "a"
    assert matched.distance == pytest.approx(0.2)
    assert matched.score == pytest.approx(0.8)
    assert matched.runner_up_distance > 1.0

    far = index.identify([near(a, 0.35, 4)])
    assert far.reason == "no_match" and far.person_id is None and far.best_candidate == "a"

    twin = unit(5)
    close_pair = FaceIndex({"a": [twin], "b": [near(twin, 0.03, 6)]}, threshold=0.3, margin=0.05)
    ambiguous = close_pair.identify([near(twin, 0.1, 7)])
    assert ambiguous.reason == "ambiguous" and ambiguous.person_id is None


def test_templates_are_averaged_and_frames_fused():
    centre = unit(10)
    templates = [near(centre, 0.25, s) for s in (11, 12, 13)]
    index = FaceIndex({7: templates, 8: [unit(14)]}, threshold=0.3, margin=0.05)
    probes = [near(centre, 0.1, 15), near(centre, 0.2, 16)]
    result = index.identify(probes)
    assert result.person_id == 7  # any hashable id works
    expected = np.mean([np.linalg.norm(p - np.mean(templates, axis=0)) for p in probes])
    assert result.distance == pytest.approx(expected)
    assert index.verify(7, probes).matched
    assert not index.verify(8, probes).matched
    assert index.verify(99, probes).reason == "not_enrolled"


def test_vectorised_search_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    roster = {f"p{i}": list(rng.normal(scale=0.1, size=(rng.integers(1, 4), 128))) for i in range(3000)}
    index = FaceIndex(roster)
    probes = list(rng.normal(scale=0.1, size=(3, 128)))
    fused = index.distances(probes)
    for i in (0, 1234, 2999):
        centroid = np.mean(roster[f"p{i}"], axis=0)
        loop = np.mean([np.linalg.norm(p - centroid) for p in probes])
        assert fused[i] == pytest.approx(loop)
    best = index.identify(probes)
    assert best.best_candidate == min(roster, key=lambda k: fused[index.person_ids.index(k)])


def cohort_roster(n: int = 8, seed: int = 100) -> dict[str, list[np.ndarray]]:
    """n people far apart (random unit directions scaled like dlib vectors)."""
    return {f"p{i}": [unit(seed + i) * 0.5] for i in range(n)}


def test_small_roster_falls_back_to_raw_distances():
    index = FaceIndex(cohort_roster(3))
    assert not index.has_cohort
    base = cohort_roster(3)["p0"][0]
    result = index.verify("p0", [near(base, 0.2, 1)])
    assert result.matched and result.ratio is None and result.cohort_size == 0
    assert not index.verify("p0", [near(base, 0.5, 2)]).matched  # > DEFAULT_VERIFY_DISTANCE
    # 1:N without a cohort keeps the strict raw threshold
    assert index.identify([near(base, 0.25, 3)]).reason == "matched"
    assert index.identify([near(base, 0.35, 4)]).reason == "no_match"


def test_verify_uses_the_cohort_ratio():
    roster = cohort_roster(8)
    index = FaceIndex(roster, cohort_k=5)
    assert index.has_cohort
    probe = [near(roster["p0"][0], 0.3, 5)]
    result = index.verify("p0", probe)
    fused = index.distances(probe)
    others = np.sort(fused[1:])[:5]
    assert result.cohort_size == 7
    assert result.ratio == pytest.approx(fused[0] / others.mean())
    assert result.distance == pytest.approx(fused[0])
    assert result.matched == (result.ratio <= index.verify_ratio)
    assert index.verify("p1", probe).reason == "no_match"  # p0's face claiming p1


def test_ratio_rescues_a_genuine_far_from_a_crowded_roster():
    """The same raw distance is accepted when the rest of the roster is far from the
    probe and refused when other people are about as close: the ratio is relative."""
    roster = cohort_roster(8)
    probe = [near(roster["p0"][0], 0.45, 6)]  # above the raw fallback threshold
    assert FaceIndex(roster).verify("p0", probe).matched
    crowded = dict(roster)
    for i in range(1, 8):
        crowded[f"p{i}"] = [near(probe[0], 0.5, 20 + i)]  # look-alikes 0.5 from the probe
    assert not FaceIndex(crowded).verify("p0", probe).matched


def test_verify_can_exclude_people_from_the_cohort():
    roster = cohort_roster(7)
    index = FaceIndex(roster, cohort_k=5)
    probe = [near(roster["p0"][0], 0.3, 7)]
    assert index.verify("p0", probe).cohort_size == 6
    assert index.verify("p0", probe, exclude=["p1"]).cohort_size == 5
    assert index.verify("p0", probe, exclude=["p1", "p2"]).ratio is None  # too few left


def test_identify_needs_ratio_threshold_and_margin_with_a_cohort():
    roster = cohort_roster(8)
    index = FaceIndex(roster, threshold=0.4, margin=0.05, identify_ratio=0.62)
    good = index.identify([near(roster["p3"][0], 0.2, 8)])
    assert good.reason == "matched" and good.person_id == "p3" and good.ratio < 0.62
    # within the raw threshold but the ratio is too high: people nearly as close
    probe = near(roster["p0"][0], 0.3, 9)
    crowded = {f"q{i}": [near(probe, 0.4, 40 + i)] for i in range(6)}
    crowded["p0"] = roster["p0"]
    result = FaceIndex(crowded, threshold=0.4, margin=0.0, identify_ratio=0.62).identify([probe])
    assert result.best_candidate == "p0" and result.reason == "no_match" and result.ratio > 0.62


# --------------------------------------------------------------------------- fast path


def reference(index: FaceIndex, roster: dict, probes: list, claimed=None, exclude=()) -> dict:
    """The rules computed the plain way: Python loops, float64, a full sort (no shortcuts)."""
    people = list(roster)
    fused = [float(np.mean([np.linalg.norm(p - np.mean(roster[w], axis=0)) for p in probes]))
             for w in people]

    def ratio_of(position, skip=()):
        others = sorted(d for j, d in enumerate(fused) if j != position and j not in skip)
        if index.cohort_k <= 0 or len(others) < index.min_cohort:
            return None, 0
        k = min(len(others), max(index.cohort_k, int(round(index.cohort_fraction * len(others)))))
        return fused[position] / float(np.mean(others[:k])), len(others)

    if claimed is not None:
        position = people.index(claimed)
        skip = {people.index(w) for w in exclude if w != claimed}
        ratio, size = ratio_of(position, skip)
        ok = fused[position] <= index.verify_distance if ratio is None else ratio <= index.verify_ratio
        return {"reason": "matched" if ok else "no_match", "person_id": claimed if ok else None,
                "distance": fused[position], "ratio": ratio, "cohort_size": size}
    order = sorted(range(len(people)), key=lambda j: (fused[j], j))
    best, distance = order[0], fused[order[0]]
    runner_up = fused[order[1]] if len(order) > 1 else None
    ratio, size = ratio_of(best)
    strict = min(index.threshold, index.small_roster_threshold)
    accepted = distance <= strict or (
        ratio is not None and distance <= index.threshold and ratio <= index.identify_ratio)
    if not accepted:
        reason = "no_match"
    elif runner_up is not None and runner_up - distance < index.margin:
        reason = "ambiguous"
    else:
        reason = "matched"
    return {"reason": reason, "person_id": people[best] if reason == "matched" else None,
            "best_candidate": people[best], "distance": distance, "runner_up_distance": runner_up,
            "ratio": ratio, "cohort_size": size}


def same_as_reference(result, expected: dict) -> None:
    """Decisions identical; figures equal up to float32 rounding of the cohort mean."""
    for key, value in expected.items():
        got = getattr(result, key)
        if isinstance(value, float):
            assert got == pytest.approx(value, rel=1e-5, abs=1e-9), key
        else:
            assert got == value, key


def dlib_like_roster(n: int, seed: int) -> dict[str, list[np.ndarray]]:
    """n people with 1-3 templates each, vectors of dlib's scale (norm about 1.5), in
    clusters so that some people are close look-alikes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=0.13, size=(max(1, n // 10), 128))
    roster = {}
    for i in range(n):
        person = centres[i % len(centres)] + rng.normal(scale=0.05, size=128)
        roster[f"p{i}"] = [person + rng.normal(scale=0.03, size=128) for _ in range(rng.integers(1, 4))]
    return roster


@pytest.mark.parametrize("split", [False, True])
def test_fast_search_gives_the_plain_computations_decisions(monkeypatch, split):
    """identify/verify (float32 scan, float64 re-ranking) against `reference` on a 400-person
    roster: genuine probes at several distances, look-alikes, unenrolled faces, fused frames."""
    if split:  # exercise the two-thread scan on a small roster
        monkeypatch.setattr("kiosk.face_index._SPLIT_FROM", 50)
    roster = dlib_like_roster(400, seed=3)
    index = FaceIndex(roster)
    rng = np.random.default_rng(4)
    names = list(roster)
    outcomes = set()
    for trial in range(60):
        who = names[rng.integers(len(names))]
        centre = np.mean(roster[who], axis=0)
        spread = [0.02, 0.1, 0.2, 0.3, 0.45][trial % 5]
        frames = [centre + rng.normal(scale=spread / np.sqrt(128), size=128)
                  for _ in range(1 + trial % 3)]
        if trial % 7 == 0:  # somebody not enrolled
            frames = [rng.normal(scale=0.13, size=128)]
        result = index.identify(frames)
        same_as_reference(result, reference(index, roster, frames))
        outcomes.add(result.reason)
        claimed = who if trial % 2 else names[rng.integers(len(names))]
        exclude = [names[j] for j in rng.integers(len(names), size=trial % 4)]
        check = index.verify(claimed, frames, exclude=exclude)
        same_as_reference(check, reference(index, roster, frames, claimed, exclude))
        outcomes.add("verify_" + check.reason)
    assert {"matched", "no_match", "verify_matched", "verify_no_match"} <= outcomes


def test_fast_search_decides_exactly_on_the_threshold(monkeypatch):
    """A ratio threshold a hair (1e-12) above a probe's figure: the plain rule accepts, and so
    must the fast path, whose float32 cohort mean (~1e-7 off) could fall either side; it
    hands such calls to the float64 computation."""
    roster = dlib_like_roster(300, seed=5)
    rng = np.random.default_rng(6)
    frames = [np.mean(roster["p7"], axis=0) + rng.normal(scale=0.01, size=128)]
    probe_index = FaceIndex(roster)
    exact_calls = []
    original = FaceIndex._identify_exact
    monkeypatch.setattr(FaceIndex, "_identify_exact",
                        lambda self, probes: exact_calls.append(1) or original(self, probes))
    for hair in (1.0 + 1e-12, 1.0 - 1e-12):
        line = reference(probe_index, roster, frames)["ratio"] * hair
        index = FaceIndex(roster, identify_ratio=line, small_roster_threshold=0.0)
        expected = reference(index, roster, frames)
        assert expected["reason"] == ("matched" if hair > 1 else "no_match")
        same_as_reference(index.identify(frames), expected)
        line = reference(probe_index, roster, frames, "p7")["ratio"] * hair
        assert FaceIndex(roster, verify_ratio=line).verify("p7", frames).matched == (hair > 1)
    assert len(exact_calls) == 2  # both identify calls went the exact way


def test_identify_handles_duplicate_people():
    """Two people with the same template: a tie broken by roster order, reported ambiguous."""
    roster = dlib_like_roster(100, seed=8)
    roster["twin"] = list(roster["p5"])
    index = FaceIndex(roster)
    frames = [np.mean(roster["p5"], axis=0)]
    result = index.identify(frames)
    same_as_reference(result, reference(index, roster, frames))
    assert result.reason == "ambiguous" and result.best_candidate == "p5"
